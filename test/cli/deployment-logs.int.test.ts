import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  advanceCursor,
  type DeploymentLogLine,
  type LogCursor,
  readDeploymentLogs,
} from "../../src/store/read-deployment-logs.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

const BUILD_SCRIPT = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/apps/node-http/scripts/build.js",
);

let stack: TestStack;
let deployed: string;
let stepNames: string[];

/** node-http whose build also prints on stderr and, when `slow`, takes a few seconds. */
async function nodeHttpRepo(slow = false) {
  const build = await readFile(BUILD_SCRIPT, "utf8");
  const pause = slow ? "await new Promise((resolve) => setTimeout(resolve, 3000));\n" : "";
  return fixtureRepo("node-http", {
    "scripts/build.js": `${pause}${build}console.error("build: a line on stderr");\n`,
  });
}

const logs = (args: string[]) => cli(["deployments", "logs", ...args], stack.env);

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
  const repo = await nodeHttpRepo();
  deployed = await stack.deploy({ project: "logs-app", repoUrl: repo.dir });
  const record = await stack.waitForEnd(deployed, 120_000);
  expect(record.steps.find((s) => s.name === "build")?.status).toBe("succeeded");
  stepNames = record.steps.map((s) => s.name);
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

describe("coduck-worker deployments logs", () => {
  it("prints every step's lines as <step> | <line>, in step order, stderr marked", async () => {
    const run = await logs([deployed]);
    expect(run.exitCode).toBe(0);
    const lines = (run.stdout as string).split("\n");
    expect(lines).toContain("build | build: copied src/ to dist/");
    expect(lines).toContain("build | ! build: a line on stderr");
    // System lines (the commands the worker ran) read the same way.
    expect(lines).toContain("build | $ npm run build");
    // An empty line leaves no trailing blank after the bar.
    expect(lines).toContain("build |");
    const order = [...new Set(lines.map((line) => line.split(" |")[0]))];
    expect(order).toEqual(stepNames.filter((name) => order.includes(name)));
    expect(order).toEqual(expect.arrayContaining(["checkout", "install", "build"]));
  });

  it("--step prints only that step's lines", async () => {
    const run = await logs([deployed, "--step", "build"]);
    expect(run.exitCode).toBe(0);
    const lines = (run.stdout as string).trimEnd().split("\n");
    expect(lines).toContain("build | build: copied src/ to dist/");
    expect(lines.every((line) => line.startsWith("build |"))).toBe(true);
  });

  it("refuses a step the deployment does not have, naming its steps (exit 2)", async () => {
    const run = await logs([deployed, "--step", "deploy"]);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `coduck-worker: --step: deployment ${deployed} has no step "deploy"; its steps are ${stepNames.join(", ")}`,
    );
  });

  it("refuses what is not a deployment id, and an unknown deployment (exit 2)", async () => {
    const bad = await logs(["nope"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('coduck-worker: not a deployment id: "nope"');
    const id = randomUUID();
    const unknown = await logs([id]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe(`coduck-worker: no deployment ${id}`);
  });

  it("--follow prints lines as they come and exits 0 once the deploy has ended", async () => {
    const repo = await nodeHttpRepo(true);
    const id = await stack.deploy({ project: "logs-follow", repoUrl: repo.dir });
    const following = logs([id, "--follow"]);
    const record = await stack.waitForEnd(id, 120_000);
    const run = await following;
    expect(run.exitCode).toBe(0);
    const lines = (run.stdout as string).split("\n");
    expect(lines).toContain("build | build: copied src/ to dist/");
    // Everything, once, in order: what a plain read prints now that the deploy is over.
    expect(run.stdout).toBe((await logs([id])).stdout);
    const lastStep = [...record.steps].reverse().find((s) => s.startedAt !== null);
    const lastLines = await readDeploymentLogs(stack.db, id, { step: lastStep!.name });
    expect(lastLines.length).toBeGreaterThan(0);
    expect(lines).toContain(`${lastStep!.name} | ${lastLines.at(-1)!.line}`);
  }, 180_000);

  it("reads the store a page at a time after a per-step cursor, losing and repeating nothing", async () => {
    const all = await readDeploymentLogs(stack.db, deployed);
    const paged: DeploymentLogLine[] = [];
    let cursor: LogCursor = {};
    for (;;) {
      const page = await readDeploymentLogs(stack.db, deployed, { cursor, limit: 7 });
      paged.push(...page);
      cursor = advanceCursor(cursor, page);
      if (page.length < 7) break;
    }
    expect(all.length).toBeGreaterThan(7);
    expect(paged).toEqual(all);
    expect(all.map((l) => stepNames.indexOf(l.step))).toEqual(
      all.map((l) => stepNames.indexOf(l.step)).sort((a, b) => a - b),
    );
    const build = all.filter((l) => l.step === "build");
    const afterFirst = await readDeploymentLogs(stack.db, deployed, {
      step: "build",
      cursor: { build: build[0]!.seq },
    });
    expect(afterFirst).toEqual(build.slice(1));
  });
});
