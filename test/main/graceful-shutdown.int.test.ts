import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { fixtureRepo } from "../helpers/git-repo.js";
import { tempDir } from "../helpers/temp-dir.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { startWorkerProcess } from "../helpers/worker-process.js";

// Real worker processes finish or hand back builds that take up to 120 s.
jest.setTimeout(180_000);

const ALL_DONE = ["succeeded", "succeeded", "succeeded", "succeeded", "skipped", "succeeded"];

let stack: TestStack;
let markers: string;

beforeAll(async () => {
  // The apps leave a marker in a host directory; the sandbox would (rightly) hide it from them.
  stack = await createTestStack({ SANDBOX: "off" });
  markers = await tempDir("coduck-markers-");
});
afterAll(async () => {
  await stack?.close();
});

/** An app whose first build takes `firstBuildMs`; later builds of the same repo are quick. */
async function slowBuildRepo(name: string, firstBuildMs: number) {
  const marker = path.join(markers, name);
  return fixtureRepo("node-http", {
    "scripts/build.js": [
      'import { existsSync, writeFileSync } from "node:fs";',
      `if (!existsSync(${JSON.stringify(marker)})) {`,
      `  writeFileSync(${JSON.stringify(marker)}, "");`,
      '  console.log("slow build started");',
      `  await new Promise((resolve) => setTimeout(resolve, ${firstBuildMs}));`,
      "}",
      'console.log("build finished");',
    ].join("\n"),
  });
}

async function waitForStep(deploymentId: string, name: string, status: string) {
  for (let i = 0; i < 300; i++) {
    const step = await stack.db.deploymentStep.findUnique({
      where: { deploymentId_name: { deploymentId, name } },
    });
    if (step?.status === status) return step;
    await sleep(100);
  }
  throw new Error(`step ${name} of ${deploymentId} never became ${status}`);
}

describe("graceful shutdown", () => {
  it("SIGTERM lets the running step finish, records the deploy, and takes no new job", async () => {
    const worker = await startWorkerProcess({ ...stack.env, SHUTDOWN_GRACE_SECONDS: "60" });
    const repo = await slowBuildRepo("finish", 2_500);
    const id = await stack.deploy({ project: "graceful", repoUrl: repo.dir });
    await waitForStep(id, "build", "running");

    worker.child.kill("SIGTERM");
    await worker.waitForLog("shutting down: finishing running steps");
    const later = await stack.deploy({ project: "graceful-later", repoUrl: repo.dir });
    const exit = await worker.child;

    expect(exit.exitCode).toBe(0);
    const record = await stack.waitForEnd(id, 1_000);
    expect(record.status).toBe("succeeded");
    expect(record.steps.map((s) => s.status)).toEqual(ALL_DONE);
    expect((await stack.db.deployment.findUniqueOrThrow({ where: { id: later } })).status).toBe(
      "queued",
    );
    expect(await stack.queue.getJobState(later)).toBe("waiting");
  });

  it("past the grace period, stops the step and hands the deploy back to the queue", async () => {
    const worker = await startWorkerProcess({ ...stack.env, SHUTDOWN_GRACE_SECONDS: "1" });
    const repo = await slowBuildRepo("hand-back", 120_000);
    const id = await stack.deploy({ project: "handed-back", repoUrl: repo.dir });
    await waitForStep(id, "build", "running");

    const signalled = Date.now();
    worker.child.kill("SIGTERM");
    const exit = await worker.child;
    expect(exit.exitCode).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(20_000);

    const interrupted = await stack.db.deployment.findUniqueOrThrow({
      where: { id },
      include: { steps: true },
    });
    expect(interrupted.status).toBe("queued");
    expect(interrupted.steps.find((s) => s.name === "build")).toMatchObject({
      status: "interrupted",
      errorCode: "WORKER_INTERRUPTED",
    });
    expect(await stack.queue.getJobState(id)).toBe("waiting");

    // Another worker picks it up and finishes it, from the start, in a fresh directory.
    const second = await stack.startWorker();
    const record = await stack.waitForEnd(id);
    await second.worker.close();
    expect(record.status).toBe("succeeded");
    expect(record.attempt).toBe(2);
    expect(record.steps.map((s) => s.status)).toEqual(ALL_DONE);
    // Two deploys (the interrupted one and its retry) and a worker process: more than the
    // default timeout on a CPU-starved CI machine.
  }, 120_000);

  it("a second signal stops running steps at once", async () => {
    const worker = await startWorkerProcess({ ...stack.env, SHUTDOWN_GRACE_SECONDS: "600" });
    const repo = await slowBuildRepo("second-signal", 120_000);
    const id = await stack.deploy({ project: "impatient", repoUrl: repo.dir });
    await waitForStep(id, "build", "running");

    worker.child.kill("SIGTERM");
    await worker.waitForLog("shutting down: finishing running steps");
    const signalled = Date.now();
    worker.child.kill("SIGINT");
    await worker.child;
    expect(Date.now() - signalled).toBeLessThan(15_000);
    await worker.waitForLog("second signal: stopping now", 0);
    const step = await stack.db.deploymentStep.findUniqueOrThrow({
      where: { deploymentId_name: { deploymentId: id, name: "build" } },
    });
    expect(step.status).toBe("interrupted");
  });
});
