import { jest } from "@jest/globals";
import { isRunning } from "../../src/releases/process-group.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";

// Tests wait for one or two real deploys to end (up to 120 s each).
jest.setTimeout(240_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ WORKER_CONCURRENCY: "4" });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

/** An app that answers with its version, on PORT, at / and /healthz. */
function versionApp(version: string, extra: Record<string, string> = {}) {
  return {
    "package.json": JSON.stringify({
      name: "versioned",
      version: "1.0.0",
      private: true,
      scripts: { start: "node server.cjs" },
    }),
    "server.cjs": [
      'const http = require("node:http");',
      `http.createServer((q, s) => s.end(${JSON.stringify(version)})).listen(process.env.PORT, () => console.log("listening"));`,
    ].join("\n"),
    ...extra,
  };
}

/** What the app at `url` (the project's stable address, through the router) answers. */
async function get(url: string): Promise<string> {
  return (await fetchApp(url)).text();
}

describe("start and the release swap", () => {
  it("makes a healthy new release live and only then stops the previous one", async () => {
    const repo = await fixtureRepo("node-http", versionApp("v1"));
    const first = await stack.waitForEnd(
      await stack.deploy({ project: "swap", repoUrl: repo.dir }),
    );
    expect(first.status).toBe("succeeded");
    expect(await get(first.release!.url)).toBe("v1");

    await repo.commit(versionApp("v2"));
    const second = await stack.waitForEnd(
      await stack.deploy({ project: "swap", repoUrl: repo.dir }),
    );
    expect(second.status).toBe("succeeded");
    // The same address now reaches the new release, on a port of its own.
    expect(second.release!.url).toBe(first.release!.url);
    expect(await get(second.release!.url)).toBe("v2");
    expect(second.release!.port).not.toBe(first.release!.port);
    expect(isRunning(first.release!.pid)).toBe(false);
    const start = second.steps.find((s) => s.name === "start")!;
    expect(start.logTail).toContain("listening");
    expect(start.logTail).toContain(`previous release ${first.id} stopped`);
    // In the order they happened, though going live does not wait for the app's last lines.
    const lines = [start.logTail].flat().join("\n").split("\n");
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    const order = [
      /^listening$/,
      /^healthy on port \d+$/,
      /^live at /,
      /^previous release .* stopped$/,
    ];
    expect(order.map(at)).toEqual([...order.map(at)].sort((a, b) => a - b));
    expect(order.map(at)).not.toContain(-1);
    // The first deployment is no longer live.
    const firstNow = await stack.db.deployment.findUniqueOrThrow({ where: { id: first.id } });
    expect(firstNow.releaseStoppedAt).not.toBeNull();
  });

  it("keeps the previous release serving when the new one crashes on start", async () => {
    const repo = await fixtureRepo("node-http", versionApp("good"));
    const good = await stack.waitForEnd(
      await stack.deploy({ project: "crashy", repoUrl: repo.dir }),
    );
    await repo.commit({
      "server.cjs": 'console.log("booting");\nthrow new TypeError("config.port is undefined");\n',
    });
    const bad = await stack.waitForEnd(
      await stack.deploy({ project: "crashy", repoUrl: repo.dir }),
    );

    expect(bad.status).toBe("failed");
    expect(bad.errorCode).toBe("START_CRASHED");
    expect(bad.release).toBeNull();
    expect(bad.warnings).toEqual([
      `not deployed; deployment ${good.id} (${good.commitSha!.slice(0, 12)}) is still live`,
    ]);
    const start = bad.steps.find((s) => s.name === "start")!;
    expect(start).toMatchObject({ status: "failed", errorCode: "START_CRASHED", exitCode: 1 });
    expect(start.evidence).toMatch(/TypeError: config.port is undefined/);
    expect(await get(good.release!.url)).toBe("good");
  });

  it("fails with HEALTHCHECK_FAILED when the app never listens, and stops it", async () => {
    const repo = await fixtureRepo("node-http", {
      ...versionApp("never"),
      "server.cjs": 'console.log("pretending to start");\nsetInterval(() => {}, 1000);\n',
      "coduck.json": JSON.stringify({ healthcheck: { timeoutSeconds: 2 } }),
    });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "silent", repoUrl: repo.dir }),
    );
    expect(record.errorCode).toBe("HEALTHCHECK_FAILED");
    const start = record.steps.find((s) => s.name === "start")!;
    expect(start.evidence).toMatch(/^nothing listened on port \d+$/);
    const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: record.id } });
    // A real pid, or the check below proves nothing (isRunning of nothing is false as well).
    expect(row.releasePid).toEqual(expect.any(Number));
    expect(row.releaseStoppedAt).not.toBeNull();
    await waitFor("the app's process to be gone", () => !isRunning(row.releasePid!), 5_000);
  });

  it("checks the coduck.json health path and fails until it answers 2xx/3xx", async () => {
    const repo = await fixtureRepo("node-http", {
      ...versionApp("x"),
      "server.cjs": [
        'const http = require("node:http");',
        "let ready = false; setTimeout(() => { ready = true; }, 500);",
        'http.createServer((q, s) => { if (q.url === "/healthz") { s.statusCode = ready ? 204 : 503; } s.end(); }).listen(process.env.PORT);',
      ].join("\n"),
      "coduck.json": JSON.stringify({ healthcheck: { path: "/healthz", timeoutSeconds: 10 } }),
    });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "health", repoUrl: repo.dir }),
    );
    expect(record.status).toBe("succeeded");
    expect(record.steps.find((s) => s.name === "start")!.logTail).toContain("(GET /healthz)");
  });

  it("fails with MISSING_START when there is nothing to start", async () => {
    const repo = await fixtureRepo("node-http", {
      "package.json": JSON.stringify({ name: "nostart", version: "1.0.0", private: true }),
    });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "nostart", repoUrl: repo.dir }),
    );
    expect(record.errorCode).toBe("MISSING_START");
    expect(record.steps.find((s) => s.name === "start")!.evidence).toBe(
      "there is no start command: set coduck.json start or a package.json start script",
    );
  });

  it("gives the app PORT, DATABASE_URL, DIRECT_URL and its coduck.json env, under NODE_ENV=production", async () => {
    const repo = await fixtureRepo("node-http", {
      ...versionApp("env"),
      "server.cjs": [
        'const http = require("node:http");',
        "const e = process.env;",
        "const body = JSON.stringify({ port: e.PORT, db: new URL(e.DATABASE_URL).port, direct: new URL(e.DIRECT_URL).port, greeting: e.GREETING, nodeEnv: e.NODE_ENV, leaked: Boolean(e.SECRETS_KEY || e.REDIS_URL) });",
        "http.createServer((q, s) => s.end(body)).listen(e.PORT);",
      ].join("\n"),
      "coduck.json": JSON.stringify({ env: { GREETING: "quack" } }),
    });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "envy", repoUrl: repo.dir }),
    );
    expect(record.status).toBe("succeeded");
    expect(JSON.parse(await get(record.release!.url))).toEqual({
      port: String(record.release!.port),
      // The documented addresses inside the box, whatever the host's ports are.
      db: "6432",
      direct: "5433",
      greeting: "quack",
      nodeEnv: "production",
      leaked: false,
    });
  });
});
