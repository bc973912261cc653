import { pruneBackups } from "../backups/prune-backups.js";
import type { BackupDeps } from "../backups/run-backup.js";
import { PRUNE_BACKUPS_JOB } from "../queue/database-jobs.js";
import { recordJobRun } from "../store/job-runs.js";

/** The scheduled `prune-backups` job: applies the retention rules, recorded as a JobRun. */
export async function processPruneBackups(deps: BackupDeps): Promise<string> {
  const result = await recordJobRun(
    deps.db,
    { name: PRUNE_BACKUPS_JOB, requestedBy: "schedule" },
    () => pruneBackups(deps),
  );
  if (result.pruned.length > 0 || result.busy.length > 0)
    deps.logger.info(result, "pruned backups");
  return `pruned ${result.pruned.length}, kept ${result.kept}`;
}
