import path from "node:path";
import { jest } from "@jest/globals";
import { processStartTicks } from "../../src/exec/process-identity.js";
import { runDeployment } from "../../src/pipeline/run-deployment.js";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { DEPLOY_ATTEMPTS } from "../../src/queue/deploy-job.js";
import {
  claimDeployment,
  createDeployment,
  finishDeployment,
  requeueDeployment,
} from "../../src/store/deployments.js";
import { StaleAttemptError } from "../../src/store/stale-attempt.js";
import { appendLogLines, readLogLines } from "../../src/store/step-log-lines.js";
import {
  finishStep,
  recordStepProcess,
  resetSteps,
  skipPendingSteps,
  startStep,
} from "../../src/store/steps.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { readyPid } from "../helpers/ready-pid.js";
import { tempDir } from "../helpers/temp-dir.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// The zombie test waits for an install to block (60 s), then for the zombie to stop.
jest.setTimeout(120_000);

let stack: TestStack;

beforeAll(async () => {
  // The blocking app waits for files the test makes outside its release, and reports host pids:
  // no sandbox, which would hide the one and renumber the other (test/security proves it).
  stack = await createTestStack({ RUNTIME_WATCH_SECONDS: "0", SANDBOX: "off" });
});
afterAll(async () => {
  await stack?.close();
});

async function recorded(project: string) {
  const { id } = await createDeployment(stack.db, {
    project,
    repoUrl: "/nowhere",
    ref: "main",
    trigger: "test",
    steps: DEPLOY_STEP_NAMES,
  });
  return id;
}

const snapshot = (id: string) =>
  stack.db.deployment.findUniqueOrThrow({
    where: { id },
    include: { steps: { orderBy: { position: "asc" } } },
  });

describe("attempt fencing", () => {
  it("refuses every step, step-log and deployment write of an attempt a newer one has replaced", async () => {
    const id = await recorded("fenced");
    const first = await claimDeployment(stack.db, id);
    const stale = { deploymentId: id, attempt: first!.attempt };
    await startStep(stack.db, { ...stale, name: "provision" });
    const second = await claimDeployment(stack.db, id);
    const current = { deploymentId: id, attempt: second!.attempt };
    expect(current.attempt).toBe(stale.attempt + 1);
    await resetSteps(stack.db, current);
    const { id: stepId } = await startStep(stack.db, { ...current, name: "provision" });
    const before = await snapshot(id);
    const logLine = (attempt: typeof stale) =>
      appendLogLines(
        stack.db,
        { ...attempt, stepId },
        {
          firstSeq: 0,
          at: new Date(),
          lines: [{ stream: "stdout", line: "from a stale attempt" }],
        },
      );

    const writes: Array<[string, () => Promise<unknown>]> = [
      ["startStep", () => startStep(stack.db, { ...stale, name: "checkout" })],
      [
        "finishStep",
        () =>
          finishStep(
            stack.db,
            { ...stale, name: "provision" },
            { status: "failed", durationMs: 1 },
          ),
      ],
      [
        "recordStepProcess",
        () =>
          recordStepProcess(stack.db, { ...stale, name: "provision" }, { pgid: 1, startTicks: 1n }),
      ],
      ["finishDeployment", () => finishDeployment(stack.db, stale, { status: "failed" })],
      ["requeueDeployment", () => requeueDeployment(stack.db, stale)],
      ["appendLogLines", () => logLine(stale)],
    ];
    for (const [name, write] of writes) {
      await expect(write()).rejects.toThrow(StaleAttemptError);
      expect([name, await snapshot(id)]).toEqual([name, before]);
    }
    // Bulk writes of a stale attempt match nothing.
    await skipPendingSteps(stack.db, stale, "stale");
    await resetSteps(stack.db, stale);
    expect(await snapshot(id)).toEqual(before);
    expect(await readLogLines(stack.db, stepId)).toEqual([]);

    // The current attempt's writes go through.
    await logLine(current);
    expect(await readLogLines(stack.db, stepId)).toHaveLength(1);
    await finishStep(
      stack.db,
      { ...current, name: "provision" },
      { status: "succeeded", durationMs: 5 },
    );
    await finishDeployment(stack.db, current, { status: "succeeded" });
    const after = await snapshot(id);
    expect(after.status).toBe("succeeded");
    expect(after.steps[0]).toMatchObject({ status: "succeeded", attempt: current.attempt });
  });

  it("a zombie attempt stops once a newer attempt claims its deployment, and writes nothing more", async () => {
    const dir = await tempDir("coduck-block-");
    const repo = await fixtureRepo("blocking-app", {
      "coduck.json": JSON.stringify({
        install: "node block.js install && npm ci",
        env: { BLOCK_DIR: dir },
      }),
    });
    const id = await stack.deploy({ project: "zombie", repoUrl: repo.dir });
    await stack.queue.remove(id); // run by hand below, not by a worker
    const zombie = runDeployment(
      { db: stack.db, logger: stack.logger, config: stack.config, keyring: stack.keyring },
      id,
      new AbortController().signal,
      { canRetry: true, maxAttempts: DEPLOY_ATTEMPTS },
    );
    const child = await readyPid("install to block", path.join(dir, "install.ready"));
    expect(processStartTicks(child)).not.toBeNull();

    // What a worker that took the lane after this one lost it does: claim a new attempt.
    const newer = await claimDeployment(stack.db, id);
    expect(newer!.attempt).toBe(2);
    await resetSteps(stack.db, { deploymentId: id, attempt: 2 });
    const claimed = await snapshot(id);

    expect(await zombie).toBe("already-ended");
    // Its command was stopped with it.
    expect(processStartTicks(child)).toBeNull();
    expect(stack.logs.some((line) => line.includes("a newer attempt took over this deploy"))).toBe(
      true,
    );
    const after = await snapshot(id);
    expect(after.status).toBe("running");
    expect(after.attempt).toBe(2);
    expect(after.steps).toEqual(claimed.steps);
    expect(after.warnings).toEqual(claimed.warnings);
  });
});
