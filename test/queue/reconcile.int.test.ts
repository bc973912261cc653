import { jest } from "@jest/globals";
import pino from "pino";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { DEPLOY_ATTEMPTS } from "../../src/queue/deploy-job.js";
import { reconcile } from "../../src/recovery/reconcile-deployments.js";
import { createDeployment } from "../../src/store/deployments.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Three real deploys are waited for in turn (60 s each).
jest.setTimeout(240_000);

let stack: TestStack;
const quiet = pino({ level: "silent" });

beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

describe("reconcile", () => {
  it("queues again what Redis lost, marks a dead worker's step interrupted, and the deploys then finish", async () => {
    const repo = await fixtureRepo("node-http");
    // Recorded in Postgres, never (or no longer) in Redis: as after a Redis restart.
    // Recorded on the stack's host: a worker reconciles only its own host's deployments.
    const lost = await createDeployment(stack.db, {
      hostId: stack.config.host.id,
      project: "lost",
      repoUrl: repo.dir,
      ref: "main",
      trigger: "test",
      steps: DEPLOY_STEP_NAMES,
    });
    const orphan = await createDeployment(stack.db, {
      hostId: stack.config.host.id,
      project: "orphan",
      repoUrl: repo.dir,
      ref: "main",
      trigger: "test",
      steps: DEPLOY_STEP_NAMES,
    });
    await stack.db.deployment.update({
      where: { id: orphan.id },
      data: { status: "running", attempt: 1 },
    });
    await stack.db.deploymentStep.update({
      where: { deploymentId_name: { deploymentId: orphan.id, name: "provision" } },
      data: { status: "running", startedAt: new Date() },
    });
    // One the queue does hold is left alone.
    const held = await stack.deploy({ project: "held", repoUrl: repo.dir });

    const result = await reconcile(
      stack.db,
      stack.queues,
      stack.config.host.id,
      quiet,
      stack.config.databaseUrl,
      DEPLOY_ATTEMPTS,
    );
    expect(result.requeued.sort()).toEqual([lost.id, orphan.id].sort());
    expect(result.interrupted).toEqual([orphan.id]);
    const step = await stack.db.deploymentStep.findUniqueOrThrow({
      where: { deploymentId_name: { deploymentId: orphan.id, name: "provision" } },
    });
    expect(step).toMatchObject({ status: "interrupted", errorCode: "WORKER_INTERRUPTED" });
    expect(await stack.queue.getJobState(lost.id)).toBe("waiting");
    expect(
      (
        await reconcile(
          stack.db,
          stack.queues,
          stack.config.host.id,
          quiet,
          stack.config.databaseUrl,
          DEPLOY_ATTEMPTS,
        )
      ).requeued,
    ).toEqual([]);

    await stack.startWorker();
    for (const id of [lost.id, orphan.id, held]) {
      expect((await stack.waitForEnd(id)).status).toBe("succeeded");
    }
  });
});
