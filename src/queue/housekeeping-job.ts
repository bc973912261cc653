import type { Queue } from "bullmq";
import type { Config } from "../config.js";

/** The shared housekeeping queue (every worker consumes it); each host also has its own. */
export const HOUSEKEEPING_QUEUE = "housekeeping";

type HousekeepingName = keyof Config["housekeeping"]["everyMs"];

/**
 * The housekeeping jobs that read or change a host's own disk (its DATA_DIR's release
 * directories and caches): scheduled and run on each host's `housekeeping@<host>`. The others
 * (prune-logs, clean-jobs) touch only Postgres and Redis: one scheduler on the shared queue.
 */
export const HOST_HOUSEKEEPING_JOBS: readonly HousekeepingName[] = [
  "prune-releases",
  "prune-caches",
];

export function isHostHousekeeping(name: string): boolean {
  return (HOST_HOUSEKEEPING_JOBS as readonly string[]).includes(name);
}

/**
 * Makes a housekeeping queue's job schedulers match the configuration: one per job of that
 * queue (`host`: the host's own jobs; else the shared ones), every `*_EVERY_MINUTES`, none for
 * 0, and none for a job that belongs to the other kind of queue (a shared queue from before
 * hosts had all four). A scheduler already there with the same interval is left as it is
 * (upserting it again would push its next run back), so this can run at every worker start
 * and every minute, which also brings the schedules back after Redis lost them.
 */
export async function ensureHousekeepingSchedules(
  queue: Queue,
  everyMs: Config["housekeeping"]["everyMs"],
  kind: "host" | "shared",
): Promise<void> {
  for (const [name, configured] of Object.entries(everyMs)) {
    const every = isHostHousekeeping(name) === (kind === "host") ? configured : 0;
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
