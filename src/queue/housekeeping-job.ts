import type { Queue } from "bullmq";
import type { Config } from "../config.js";

export const HOUSEKEEPING_QUEUE = "housekeeping";

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
  for (const [name, every] of Object.entries(everyMs)) {
    const existing = await queue.getJobScheduler(name);
    if (every === 0) {
      if (existing) await queue.removeJobScheduler(name);
      continue;
    }
    if (existing && Number(existing.every) === every) continue;
    await queue.upsertJobScheduler(
      name,
      { every },
      {
        name,
        data: {},
        // Each run is recorded in Postgres (JobRun); Redis keeps only the last few jobs.
        opts: { removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
      },
    );
  }
}
