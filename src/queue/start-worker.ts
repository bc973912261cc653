import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { processBackup } from "../../jobs/backup.js";
import { DEPLOY_FAILED, processDeploy } from "../../jobs/deploy.js";
import { processPruneBackups } from "../../jobs/prune-backups.js";
import { processRestore } from "../../jobs/restore.js";
import type { DeployDeps } from "../pipeline/run-deployment.js";
import { BACKUP_JOB, PRUNE_BACKUPS_JOB, RECORDED_FAILURE, RESTORE_JOB } from "./database-jobs.js";
import { DEPLOY_JOB, DEPLOY_QUEUE, retryDelayMs } from "./deploy-job.js";

export type DeployWorker = {
  worker: Worker;
  /** Stops every running deploy now: their steps are killed and the jobs handed back. */
  interruptAll(): void;
};

/** Wires the job processors in jobs/ to a BullMQ worker on the deploy queue. */
export function startDeployWorker(
  deps: DeployDeps,
  connection: Redis,
  options: { concurrency: number; prefix: string },
): DeployWorker {
  const running = new Set<AbortController>();

  const worker = new Worker(
    DEPLOY_QUEUE,
    async (job: Job, token?: string) => {
      const controller = new AbortController();
      running.add(controller);
      try {
        switch (job.name) {
          case DEPLOY_JOB:
            return await processDeploy(deps, job, token, controller.signal);
          case BACKUP_JOB:
            return await processBackup(deps, job, token, controller.signal);
          case RESTORE_JOB:
            return await processRestore(deps, job, token, controller.signal);
          case PRUNE_BACKUPS_JOB:
            return await processPruneBackups(deps);
          default:
            throw new UnrecoverableError(`unknown job name ${job.name}`);
        }
      } finally {
        running.delete(controller);
      }
    },
    {
      connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      autorun: true,
      // A job whose worker died goes back to the queue once its lock runs out (within about
      // two lock periods); the new attempt then takes over what the dead one left.
      lockDuration: deps.config.jobLockMs,
      stalledInterval: deps.config.jobLockMs,
      settings: {
        backoffStrategy: (attemptsMade) => retryDelayMs(deps.config.retryBaseDelayMs, attemptsMade),
      },
    },
  );
  worker.on("failed", (job, error) => {
    // Recorded on the deployment, backup or restore already.
    if (error.message === DEPLOY_FAILED || error.message === RECORDED_FAILURE) return;
    deps.logger.error({ jobId: job?.id, job: job?.name, err: error }, "job failed in the worker");
  });
  worker.on("error", (error) => deps.logger.error({ err: error }, "worker error"));

  return {
    worker,
    interruptAll: () => {
      for (const controller of running) controller.abort("shutdown");
    },
  };
}
