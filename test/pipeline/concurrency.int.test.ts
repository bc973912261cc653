import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { fixtureRepo } from "../helpers/git-repo.js";
import { tempDir } from "../helpers/temp-dir.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// Each test waits for up to three real deploys in turn (60 s each).
jest.setTimeout(240_000);

let stack: TestStack;
let markers: string;

beforeAll(async () => {
  // Two workers of concurrency 2: four slots, so only the project lane can serialize.
  // The apps write their timings to a host file; the sandbox would (rightly) hide it from them.
  stack = await createTestStack({ WORKER_CONCURRENCY: "2", SANDBOX: "off" });
  await stack.startWorker();
  await stack.startWorker();
  markers = await tempDir("coduck-lanes-");
});
afterAll(async () => {
  await stack?.close();
});

/** An app whose build records when it ran, and takes `buildMs`. */
function timedBuild(name: string, buildMs: number) {
  const file = path.join(markers, name);
  return {
    "scripts/build.js": [
      'import { appendFileSync } from "node:fs";',
      `appendFileSync(${JSON.stringify(file)}, \`start \${Date.now()}\\n\`);`,
      `await new Promise((resolve) => setTimeout(resolve, ${buildMs}));`,
      `appendFileSync(${JSON.stringify(file)}, \`end \${Date.now()}\\n\`);`,
      'console.log("built");',
    ].join("\n"),
  };
}

async function stepStatus(deploymentId: string, name: string) {
  const step = await stack.db.deploymentStep.findUniqueOrThrow({
    where: { deploymentId_name: { deploymentId, name } },
  });
  return step.status;
}

async function waitForStep(deploymentId: string, name: string, status: string) {
  for (let i = 0; i < 300; i++) {
    if ((await stepStatus(deploymentId, name)) === status) return;
    await sleep(100);
  }
  throw new Error(`${name} of ${deploymentId} never became ${status}`);
}

describe("concurrency", () => {
  it("never runs two deploys of one project at once, across workers", async () => {
    const repo = await fixtureRepo("node-http", timedBuild("lane", 1_500));
    const a = await stack.deploy({ project: "lane", repoUrl: repo.dir });
    await waitForStep(a, "build", "running");
    // Pushed while the first runs; both must finish, one after the other.
    const b = await stack.deploy({ project: "lane", repoUrl: repo.dir });
    // Another project is not held up meanwhile.
    const other = await stack.deploy({ project: "lane-neighbour", repoUrl: repo.dir });
    const [first, second] = [await stack.waitForEnd(a), await stack.waitForEnd(b)];
    expect([first.status, second.status]).toEqual(["succeeded", "succeeded"]);
    expect(Date.parse(second.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first.finishedAt!));
    const neighbour = await stack.waitForEnd(other);
    expect(Date.parse(neighbour.startedAt!)).toBeLessThan(Date.parse(first.finishedAt!));
  });

  it("supersedes queued deploys with a newer push, and never starts them", async () => {
    const repo = await fixtureRepo("node-http", timedBuild("quick-pushes", 2_000));
    const first = await stack.deploy({ project: "pushes", repoUrl: repo.dir });
    await waitForStep(first, "build", "running");
    const middle = await stack.deploy({ project: "pushes", repoUrl: repo.dir });
    const last = await stack.deploy({ project: "pushes", repoUrl: repo.dir });

    const [one, two, three] = [
      await stack.waitForEnd(first),
      await stack.waitForEnd(middle),
      await stack.waitForEnd(last),
    ];
    expect([one.status, two.status, three.status]).toEqual([
      "succeeded",
      "superseded",
      "succeeded",
    ]);
    expect(two.startedAt).toBeNull();
    expect(
      two.steps.every(
        (s) => s.status === "skipped" && s.skipReason === `not run: superseded by ${last}`,
      ),
    ).toBe(true);
    const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: middle } });
    expect(row.supersededById).toBe(last);
  });

  it("cancels a running deploy from another process, killing its build", async () => {
    const repo = await fixtureRepo("node-http", timedBuild("cancelled", 120_000));
    const id = await stack.deploy({ project: "cancel-me", repoUrl: repo.dir });
    await waitForStep(id, "build", "running");
    const started = Date.now();
    const run = await cli(["cancel", id], stack.env);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(`deployment ${id} is stopping: its running step is being killed`);
    const record = await stack.waitForEnd(id);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(record.status).toBe("cancelled");
    expect(record.errorCode).toBe("CANCELLED");
    expect(record.steps.map((s) => s.status)).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
      "cancelled",
      "skipped",
      "skipped",
    ]);
    const again = await cli(["cancel", id], stack.env);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toBe(`coduck-worker: deployment ${id} has already ended (cancelled)`);
  });

  it("cancels a queued deploy before it starts", async () => {
    const repo = await fixtureRepo("node-http", timedBuild("queued-cancel", 3_000));
    const running = await stack.deploy({ project: "queue-cancel", repoUrl: repo.dir });
    await waitForStep(running, "build", "running");
    const queued = await stack.deploy({ project: "queue-cancel", repoUrl: repo.dir });
    const run = await cli(["cancel", queued], stack.env);
    expect(run.stdout).toBe(`cancelled deployment ${queued} before it started`);
    const record = await stack.waitForEnd(queued);
    expect(record.status).toBe("cancelled");
    expect(record.startedAt).toBeNull();
    expect((await stack.waitForEnd(running)).status).toBe("succeeded");
  });
});
