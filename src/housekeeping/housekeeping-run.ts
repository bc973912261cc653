import type { Prisma } from "@prisma/client";
import type { Queue } from "bullmq";
import type { Config } from "../config.js";
import { recordJobRun } from "../store/job-runs.js";
import type { Db } from "../store/prisma.js";

/**
 * What a housekeeping job works with: the worker's database, its config, and the queues to
 * clean (every host's and the shared ones, read when the job runs: hosts come and go).
 */
export type HousekeepingDeps = {
  db: Db;
  config: Pick<Config, "dataDir" | "housekeeping">;
  queues: () => Promise<Queue[]>;
};

/** Who asked for a run (`schedule`, `cli`), and whether it only reports what it would do. */
export type HousekeepingRun = { requestedBy: string; dryRun: boolean };

export type HousekeepingJob = {
  /** The job's name in the housekeeping queue, its scheduler's id, and its JobRun name. */
  name: "prune-releases" | "prune-logs" | "clean-jobs" | "prune-caches";
  run(deps: HousekeepingDeps, run: HousekeepingRun): Promise<Prisma.InputJsonObject>;
};

/** A real run is recorded as a JobRun; a dry run changes nothing, so it records nothing either. */
export function recordedUnlessDry<T extends Prisma.InputJsonObject>(
  deps: HousekeepingDeps,
  name: HousekeepingJob["name"],
  run: HousekeepingRun,
  work: () => Promise<T>,
): Promise<T> {
  if (run.dryRun) return work();
  return recordJobRun(deps.db, { name, requestedBy: run.requestedBy }, work);
}
