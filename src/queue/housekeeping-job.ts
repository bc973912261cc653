import type { Queue } from "bullmq";
import { cleanJobsJob } from "../../jobs/clean-jobs.js";
import { pruneLogsJob } from "../../jobs/prune-logs.js";
import { pruneReleasesJob } from "../../jobs/prune-releases.js";
import type { Config } from "../config.js";
import type { HousekeepingJob } from "../housekeeping/housekeeping-run.js";

export const HOUSEKEEPING_QUEUE = "housekeeping";

/** The housekeeping jobs, in the order `coduck-worker housekeeping run` runs them. */
export const HOUSEKEEPING_JOBS: readonly HousekeepingJob[] = [
  pruneReleasesJob,
  pruneLogsJob,
  cleanJobsJob,
];

/**
 * Makes the housekeeping queue's job schedulers match the configuration: one per job, every
 * `*_EVERY_MINUTES`, none for 0. A scheduler already there with the same interval is left as it
 * is (upserting it again would push its next run back), so this can run at every worker start
 * and every minute, which also brings the schedules back after Redis lost them.
 */
export async function ensureHousekeepingSchedules(
  queue: Queue,
  everyMs: Config["housekeeping"]["everyMs"],
): Promise<void> {
  for (const job of HOUSEKEEPING_JOBS) {
    const every = everyMs[job.name];
    const existing = await queue.getJobScheduler(job.name);
    if (every === 0) {
      if (existing) await queue.removeJobScheduler(job.name);
      continue;
    }
    if (existing && Number(existing.every) === every) continue;
    await queue.upsertJobScheduler(
      job.name,
      { every },
      {
        name: job.name,
        data: {},
        // Each run is recorded in Postgres (JobRun); Redis keeps only the last few jobs.
        opts: { removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
      },
    );
  }
}
