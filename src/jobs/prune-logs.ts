import { type HousekeepingJob, recordedUnlessDry } from "../housekeeping/housekeeping-run.js";
import { pruneStepLogs } from "../housekeeping/prune-step-logs.js";

/** The `prune-logs` job: deletes stored step logs older than LOG_RETENTION_DAYS. */
export const pruneLogsJob: HousekeepingJob = {
  name: "prune-logs",
  run: (deps, run) =>
    recordedUnlessDry(deps, "prune-logs", run, () =>
      pruneStepLogs(deps.db, new Date(Date.now() - deps.config.housekeeping.logRetentionMs), run),
    ),
};
