import { type Job, UnrecoverableError } from "bullmq";
import { runRestore } from "../backups/restore-backup.js";
import type { BackupDeps } from "../backups/run-backup.js";
import { restoreJobPayload } from "../queue/database-jobs.js";
import { holdProjectLane } from "../store/hold-project-lane.js";
import { RecordedFailure } from "./recorded-failure.js";

/** The `restore` job: restores a backup over a project's database, in the project's lane. */
export async function processRestore(
  deps: BackupDeps,
  job: Job,
  token: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  const payload = restoreJobPayload.safeParse(job.data);
  if (!payload.success)
    throw new UnrecoverableError(`invalid restore job payload: ${payload.error.message}`);
  const { restoreId, confirm } = payload.data;
  const restore = await deps.db.restore.findUnique({
    where: { id: restoreId },
    select: { projectId: true },
  });
  if (!restore) return "already-ended";
  const run = await holdProjectLane(deps.config.databaseUrl, restore.projectId, job, token, () =>
    runRestore(deps, restoreId, confirm, signal),
  );
  if (run === "failed") throw new RecordedFailure("restore");
  return run;
}
