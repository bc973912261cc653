import pino from "pino";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { PRUNE_BACKUPS_JOB } from "../../src/queue/database-jobs.js";
import { DEPLOY_JOB } from "../../src/queue/deploy-job.js";
import { LEGACY_DEPLOY_QUEUE } from "../../src/queue/host-queues.js";
import { drainLegacyQueue } from "../../src/recovery/drain-legacy-queue.js";
import { createDeployment } from "../../src/store/deployments.js";
import { adoptUnplaced, registerHost } from "../../src/store/hosts.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Upgrading a single-host installation from before hosts: what the old `deploys` queue holds
// is moved to the host's own queue, with the same job ids, and runs there.

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const request = (project: string) => ({
  project,
  repoUrl: "/srv/repo",
  ref: "main",
  trigger: "test",
  steps: DEPLOY_STEP_NAMES,
});

describe("the pre-hosts deploy queue", () => {
  it("is drained into the deploy queue of each job's host once the sole worker adopted its projects; its prune-backups scheduler goes", async () => {
    const hostId = stack.config.host.id;
    const legacy = stack.queues.named(LEGACY_DEPLOY_QUEUE);
    // As the old version left them: deployments with no host, their jobs in `deploys`.
    const queued = await createDeployment(stack.db, request("old-app"));
    const delayed = await createDeployment(stack.db, request("old-other"));
    expect([queued.hostId, delayed.hostId]).toEqual([null, null]);
    await legacy.add(DEPLOY_JOB, { deploymentId: queued.id }, { jobId: queued.id });
    await legacy.add(
      DEPLOY_JOB,
      { deploymentId: delayed.id },
      { jobId: delayed.id, delay: 60_000 },
    );
    await legacy.upsertJobScheduler(
      PRUNE_BACKUPS_JOB,
      { every: 3_600_000 },
      { name: PRUNE_BACKUPS_JOB },
    );

    // Before any host adopted them, nothing can be routed: the jobs stay where they are.
    const logger = pino({ level: "silent" });
    const early = await drainLegacyQueue(stack.db, stack.queues, logger);
    expect(early.left.sort()).toEqual([queued.id, delayed.id].sort());
    expect(await legacy.getJobState(queued.id)).toBe("waiting");
    expect(await legacy.getJobScheduler(PRUNE_BACKUPS_JOB)).toBeUndefined();

    // The upgraded worker starts: registers, adopts (the only host), drains.
    await registerHost(stack.db, stack.config.host);
    expect(await adoptUnplaced(stack.db, hostId)).toBe(2);
    const drained = await drainLegacyQueue(stack.db, stack.queues, logger);
    expect(drained.moved.sort()).toEqual([queued.id, delayed.id].sort());
    const own = stack.queues.deploy(hostId);
    expect(await own.getJobState(queued.id)).toBe("waiting");
    expect(await own.getJobState(delayed.id)).toBe("waiting");
    expect(await legacy.getJobCounts("waiting", "delayed", "prioritized")).toEqual({
      waiting: 0,
      delayed: 0,
      prioritized: 0,
    });
    // Again: nothing left to do.
    expect(await drainLegacyQueue(stack.db, stack.queues, logger)).toEqual({
      moved: [],
      dropped: [],
      left: [],
    });

    // And the host's worker runs what came from the old queue (the repository does not exist:
    // it fails at checkout, recorded, which is enough to see it ran here).
    await stack.startWorker();
    const ended = await stack.waitForEnd(queued.id);
    expect(ended.status).toBe("failed");
    expect(ended.steps.some((s) => s.status === "failed")).toBe(true);
  });
});
