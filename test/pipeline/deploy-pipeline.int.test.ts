import { jest } from "@jest/globals";
import { readLogLines } from "../../src/store/step-log-lines.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Tests wait for one or two real deploys to end (up to 120 s each).
jest.setTimeout(240_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ STEP_TIMEOUT_SECONDS: "20" });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

async function logOf(deploymentId: string, step: string): Promise<string[]> {
  const row = await stack.db.deploymentStep.findUniqueOrThrow({
    where: { deploymentId_name: { deploymentId, name: step } },
  });
  return (await readLogLines(stack.db, row.id)).map((l) => l.line);
}

describe("the deploy pipeline", () => {
  it("checks out, installs and builds a real app, recording every step in order", async () => {
    const repo = await fixtureRepo("node-http");
    const head = await repo.commit({}, "second commit");
    const id = await stack.deploy({ project: "node-http", repoUrl: repo.dir });
    const record = await stack.waitForEnd(id);

    expect(record.status).toBe("succeeded");
    expect(record.commitSha).toBe(head);
    expect(record.steps.map((s) => [s.name, s.status])).toEqual([
      ["provision", "succeeded"],
      ["checkout", "succeeded"],
      ["install", "succeeded"],
      ["build", "succeeded"],
      ["schema", "skipped"],
      ["start", "succeeded"],
    ]);
    expect(record.steps.map((s) => s.command)).toEqual([
      null,
      expect.stringContaining("git fetch --quiet --depth=1 --no-tags"),
      "npm ci",
      "npm run build",
      null,
      "npm start",
    ]);
    expect(record.steps[4]!.skipReason).toBe(
      "no preStart in coduck.json and no Prisma schema with models",
    );
    for (const [before, after] of record.steps
      .slice(0, -1)
      .map((s, i) => [s, record.steps[i + 1]!] as const)) {
      expect(Date.parse(before.finishedAt!)).toBeLessThanOrEqual(Date.parse(after.startedAt!));
    }
    expect(record.steps.slice(1, 4).every((s) => s.exitCode === 0 && s.durationMs! > 0)).toBe(true);
    // Live: a supervisord program on its own port, reached at the project's stable address.
    const port = record.release!.port;
    expect(record.release).toEqual({
      url: `http://node-http.localhost:${stack.config.releases.appsHttpPort}`,
      upstream: `127.0.0.1:${port}`,
      port: expect.any(Number),
      pid: expect.any(Number),
      program: `release-${id}`,
      startedAt: expect.any(String),
      restarts: 0,
      lastExit: null,
      lastRestartAt: null,
      crashedAt: null,
    });
    expect(port).not.toBe(stack.config.releases.appsHttpPort);
    expect(await (await fetchApp(record.release!.url)).json()).toEqual({
      app: "node-http",
      ok: true,
    });
    expect(Date.parse(record.startedAt!)).toBeGreaterThanOrEqual(Date.parse(record.queuedAt));
    expect(record.finishedAt).not.toBeNull();

    expect(await logOf(id, "checkout")).toContain(`checked out main at ${head}`);
    expect(await logOf(id, "build")).toContain("build: copied src/ to dist/");
    const build = record.steps[3]!;
    expect(build.logTail).toContain("build: copied src/ to dist/");
  });

  it("deploys the exact commit it is given", async () => {
    const repo = await fixtureRepo("node-http");
    const first = (await repo.commit({}, "first")) as string;
    await repo.commit({ "later.txt": "later" }, "later");
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "pinned", repoUrl: repo.dir, ref: first }),
    );
    expect(record.status).toBe("succeeded");
    expect(record.commitSha).toBe(first);
  });

  it("fails at checkout with a clear message when the repository does not exist, then serves the next job", async () => {
    const missing = await stack.deploy({ project: "ghost", repoUrl: "/nonexistent/repo.git" });
    const failed = await stack.waitForEnd(missing);
    expect(failed.status).toBe("failed");
    expect(failed.errorCode).toBe("CHECKOUT_FAILED");
    expect(failed.hint).toMatch(/repository URL is reachable/);
    const checkout = failed.steps[1]!;
    expect(checkout).toMatchObject({
      status: "failed",
      errorCode: "CHECKOUT_FAILED",
      exitCode: 128,
    });
    expect(checkout.evidence).toMatch(/^fatal: .*does not appear to be a git repository/);
    expect(failed.steps.slice(2).map((s) => [s.status, s.skipReason])).toEqual(
      Array(4).fill(["skipped", "not run: checkout failed"]),
    );

    const repo = await fixtureRepo("node-http");
    const next = await stack.waitForEnd(
      await stack.deploy({ project: "ghost", repoUrl: repo.dir }),
    );
    expect(next.status).toBe("succeeded");
  });

  it("fails at checkout when the ref does not exist", async () => {
    const repo = await fixtureRepo("node-http");
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "node-http", repoUrl: repo.dir, ref: "no-such-branch" }),
    );
    expect(record.errorCode).toBe("CHECKOUT_FAILED");
    expect(record.steps[1]!.evidence).toMatch(/couldn't find remote ref no-such-branch/);
  });

  it("stops the pipeline at a failing install and never runs the build", async () => {
    const repo = await fixtureRepo("node-http");
    // package.json now wants a dependency the lockfile does not have: npm ci refuses.
    const manifest = JSON.parse(
      await import("node:fs").then((fs) => fs.readFileSync(`${repo.dir}/package.json`, "utf8")),
    );
    manifest.dependencies["is-odd"] = "3.0.1";
    await repo.commit({ "package.json": JSON.stringify(manifest, null, 2) });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "out-of-sync", repoUrl: repo.dir }),
    );

    expect(record.status).toBe("failed");
    // The classifier names the cause from npm's own words.
    expect(record.errorCode).toBe("LOCKFILE_OUT_OF_SYNC");
    const [, checkout, install, build] = record.steps;
    expect(checkout!.status).toBe("succeeded");
    expect(install).toMatchObject({
      status: "failed",
      command: "npm ci",
      errorCode: "LOCKFILE_OUT_OF_SYNC",
    });
    expect(install!.exitCode).not.toBe(0);
    expect(install!.evidence).toMatch(/npm (error|ERR!).*(in sync|Missing: is-odd)/);
    expect(build).toMatchObject({
      status: "skipped",
      skipReason: "not run: install failed",
      startedAt: null,
    });
  });

  it("skips the build of an app without a build script, and warns when there is no lockfile", async () => {
    const repo = await fixtureRepo("node-http");
    await import("node:fs").then((fs) => fs.rmSync(`${repo.dir}/package-lock.json`));
    await repo.commit({
      "package.json": JSON.stringify({
        name: "no-build",
        version: "1.0.0",
        private: true,
        scripts: { start: "node server.cjs" },
      }),
      "server.cjs":
        'require("node:http").createServer((q, s) => s.end("ok")).listen(process.env.PORT);\n',
    });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "no-build", repoUrl: repo.dir }),
    );

    expect({ status: record.status, errorCode: record.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    expect(record.steps[2]).toMatchObject({ status: "succeeded", command: "npm install" });
    expect(record.steps[3]).toMatchObject({
      status: "skipped",
      skipReason: "no build command: neither coduck.json build nor a package.json build script",
    });
    expect(record.warnings).toEqual([
      "no lockfile: dependencies were resolved afresh with npm install; commit a lockfile for repeatable deploys",
    ]);
  });

  it("records a failing build with its exit code and the error line as evidence", async () => {
    const repo = await fixtureRepo("node-http", {
      "scripts/build.js":
        'console.log("compiling");\nconsole.error("Error: cannot compile src/index.js");\nprocess.exit(2);\n',
    });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "bad-build", repoUrl: repo.dir }),
    );
    expect(record.errorCode).toBe("BUILD_FAILED");
    expect(record.steps[3]).toMatchObject({
      status: "failed",
      exitCode: 2,
      errorCode: "BUILD_FAILED",
    });
    expect(record.steps[3]!.evidence).toBe("Error: cannot compile src/index.js");
  });
});
