import type { Queue } from "bullmq";
import { FINISHED_JOB_STATES, type FinishedJobState } from "../queue/job-states.js";

/** Jobs one clean call removes; called again until a call removes fewer. */
const BATCH = 1_000;

export type JobCleanSummary = {
  olderThan: string;
  /** queue → state → jobs removed (or, dry, that would be). */
  removed: Record<string, Record<FinishedJobState, number>>;
  dryRun: boolean;
};

/**
 * Removes completed and failed jobs that finished more than `olderThanMs` ago from each queue.
 * The deployments they ran stay in Postgres; only Redis forgets the jobs.
 */
export async function cleanFinishedJobs(
  queues: Queue[],
  olderThanMs: number,
  options: { dryRun?: boolean } = {},
): Promise<JobCleanSummary> {
  const summary: JobCleanSummary = {
    olderThan: new Date(Date.now() - olderThanMs).toISOString(),
    removed: {},
    dryRun: options.dryRun === true,
  };
  for (const queue of queues) {
    const removed = { completed: 0, failed: 0 };
    for (const state of FINISHED_JOB_STATES) {
      removed[state] = summary.dryRun
        ? await countFinishedBefore(queue, state, Date.now() - olderThanMs)
        : await cleanAll(queue, state, olderThanMs);
    }
    summary.removed[queue.name] = removed;
  }
  return summary;
}

async function cleanAll(queue: Queue, state: FinishedJobState, grace: number) {
  let total = 0;
  for (;;) {
    const ids = await queue.clean(grace, BATCH, state);
    total += ids.length;
    if (ids.length < BATCH) return total;
  }
}

async function countFinishedBefore(queue: Queue, state: FinishedJobState, before: number) {
  let total = 0;
  for (let start = 0; ; start += BATCH) {
    const jobs = await queue.getJobs([state], start, start + BATCH - 1);
    total += jobs.filter((job) => (job.finishedOn ?? job.timestamp) < before).length;
    if (jobs.length < BATCH) return total;
  }
}
