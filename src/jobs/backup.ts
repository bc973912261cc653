import { type Job, UnrecoverableError, WaitingError } from "bullmq";
import { type BackupDeps, runBackup } from "../backups/run-backup.js";
import { backupJobPayload } from "../queue/database-jobs.js";
import { holdProjectLane } from "../store/hold-project-lane.js";
import { RecordedFailure } from "./recorded-failure.js";

/** The `backup` job: dumps a project's database into the backup store, in the project's lane. */
export async function processBackup(
  deps: BackupDeps,
  job: Job,
  token: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  const payload = backupJobPayload.safeParse(job.data);
  if (!payload.success)
    throw new UnrecoverableError(`invalid backup job payload: ${payload.error.message}`);
  const { backupId } = payload.data;
  const backup = await deps.db.backup.findUnique({
    where: { id: backupId },
    select: { projectId: true },
  });
  if (!backup) return "already-ended";
  const run = await holdProjectLane(deps.config.databaseUrl, backup.projectId, job, token, () =>
    runBackup(deps, backupId, signal),
  );
  if (run.status === "handed-back") {
    await job.moveToWait(token);
    throw new WaitingError();
  }
  if (run.status === "failed") throw new RecordedFailure("backup");
  return run.status;
}
