import type { Job } from "bullmq";
import type { BackupDeps } from "../backups/run-backup.js";
import type { HousekeepingJob } from "../housekeeping/housekeeping-run.js";
import type { DeployDeps } from "../pipeline/run-deployment.js";
import { BACKUP_JOB, PRUNE_BACKUPS_JOB, RESTORE_JOB } from "../queue/database-jobs.js";
import { DEPLOY_JOB } from "../queue/deploy-job.js";
import { MOVE_JOB } from "../queue/move-job.js";
import { NOTIFY_JOB } from "../queue/notify-job.js";
import { processBackup } from "./backup.js";
import { cleanJobsJob } from "./clean-jobs.js";
import { processDeploy } from "./deploy.js";
import { processMove } from "./move.js";
import { type NotifyDeps, processNotify } from "./notify.js";
import { processPruneBackups } from "./prune-backups.js";
import { pruneCachesJob } from "./prune-caches.js";
import { pruneLogsJob } from "./prune-logs.js";
import { pruneReleasesJob } from "./prune-releases.js";
import { processRestore } from "./restore.js";

/** What a deploy-queue job is handed: the worker's deps, the job, its lock token, shutdown. */
export type DeployQueueProcessor = (
  deps: DeployDeps & BackupDeps,
  job: Job,
  token: string | undefined,
  shutdown: AbortSignal,
) => Promise<string>;

/** The deploy queue's jobs by name: deploys, and the database jobs that share their lanes. */
export const DEPLOY_QUEUE_JOBS: Readonly<Record<string, DeployQueueProcessor>> = {
  [DEPLOY_JOB]: processDeploy,
  [BACKUP_JOB]: processBackup,
  [RESTORE_JOB]: processRestore,
  [PRUNE_BACKUPS_JOB]: (deps) => processPruneBackups(deps),
  [MOVE_JOB]: processMove,
};

/** The notify queue's jobs by name. */
export const NOTIFY_QUEUE_JOBS: Readonly<
  Record<string, (deps: NotifyDeps, job: Job) => Promise<string>>
> = {
  [NOTIFY_JOB]: processNotify,
};

/** The housekeeping jobs, in the order `coduck-worker housekeeping run` runs them. */
export const HOUSEKEEPING_JOBS: readonly HousekeepingJob[] = [
  pruneReleasesJob,
  pruneLogsJob,
  cleanJobsJob,
  pruneCachesJob,
];
