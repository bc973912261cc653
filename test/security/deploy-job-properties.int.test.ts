import { setTimeout as sleep } from "node:timers/promises";
import type { Job } from "bullmq";
import fc from "fast-check";
import { DEPLOY_JOB, deployJobPayload } from "../../src/queue/deploy-job.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { propertyRuns } from "../helpers/property-runs.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Whatever lands in the deploy queue — a payload of any shape, a name it does not know, the id
// of a deployment that has ended or never existed — a real worker fails or finishes the job
// with a clear reason, keeps running, and changes no record.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const payload = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.record(
    {
      deploymentId: fc.oneof(
        fc.uuid(),
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.integer(),
        fc.constant(null),
      ),
      extra: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  ),
);

it("parses any payload without throwing, accepting only {deploymentId: <uuid>}", () => {
  fc.assert(
    fc.property(payload, (data) => {
      const parsed = deployJobPayload.safeParse(data);
      if (parsed.success) expect(Object.keys(parsed.data)).toEqual(["deploymentId"]);
    }),
    propertyRuns(300),
  );
});

async function settled(job: Job): Promise<{ state: string; reason: string | undefined }> {
  for (;;) {
    const state = await job.getState();
    if (state === "completed" || state === "failed") {
      const fresh = await stack.queue.getJob(job.id!);
      return { state, reason: fresh?.failedReason ?? String(fresh?.returnvalue) };
    }
    await sleep(50);
  }
}

it("a real worker ends every hostile job with a reason, and no deployment changes", async () => {
  const repo = await fixtureRepo("node-http");
  const ended = await stack.waitForEnd(
    await stack.deploy({ project: "kept", repoUrl: repo.dir }),
    120_000,
  );
  expect(ended.status).toBe("succeeded");
  const snapshot = () =>
    stack.db.$queryRawUnsafe<{ row: string }[]>(
      `SELECT row_to_json(d)::text AS row FROM "Deployment" d ORDER BY id`,
    );
  const before = await snapshot();

  const payloads = [...fc.sample(payload, propertyRuns(80)), { deploymentId: ended.id }];
  const jobs = await Promise.all([
    ...payloads.map((data) => stack.queue.add(DEPLOY_JOB, data, { attempts: 1 })),
    stack.queue.add("rm -rf /", { deploymentId: ended.id }, { attempts: 1 }),
  ]);
  const outcomes = await Promise.all(jobs.map(settled));

  payloads.forEach((data, i) => {
    const outcome = outcomes[i]!;
    if (deployJobPayload.safeParse(data).success) {
      // A deployment that ended, or never existed: nothing to run.
      expect(outcome).toEqual({ state: "completed", reason: "already-ended" });
    } else {
      expect(outcome.state).toBe("failed");
      expect(outcome.reason).toMatch(/^invalid deploy job payload: /);
    }
  });
  expect(outcomes.at(-1)).toEqual({ state: "failed", reason: "unknown job name rm -rf /" });
  expect(await snapshot()).toEqual(before);

  // Still taking jobs: a real deploy after all that succeeds.
  const again = await stack.waitForEnd(
    await stack.deploy({ project: "after-fuzz", repoUrl: repo.dir }),
    120_000,
  );
  expect(again.status).toBe("succeeded");
}, 300_000);
