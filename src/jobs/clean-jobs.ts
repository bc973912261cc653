import { cleanFinishedJobs } from "../housekeeping/clean-finished-jobs.js";
import { type HousekeepingJob, recordedUnlessDry } from "../housekeeping/housekeeping-run.js";

/** The `clean-jobs` job: removes finished BullMQ jobs older than JOB_RETENTION_DAYS. */
export const cleanJobsJob: HousekeepingJob = {
  name: "clean-jobs",
  run: (deps, run) =>
    recordedUnlessDry(deps, "clean-jobs", run, async () =>
      cleanFinishedJobs(await deps.queues(), deps.config.housekeeping.jobRetentionMs, run),
    ),
};
