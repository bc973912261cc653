import { type Job, UnrecoverableError, Worker } from "bullmq";
import { DEPLOY_QUEUE_JOBS } from "../jobs/index.js";
import { RecordedFailure } from "../jobs/recorded-failure.js";
import type { DeployDeps } from "../pipeline/run-deployment.js";
import { BACKUP_JOB, RESTORE_JOB } from "../queue/database-jobs.js";
import { DEPLOY_JOB, retryDelayMs } from "../queue/deploy-job.js";
import { hostQueueName } from "../queue/host-queues.js";
import type { RedisConnection } from "../queue/redis.js";
import type { Db } from "../store/prisma.js";

export type DeployWorker = {
  worker: Worker;
  /** Stops every running deploy now: their steps are killed and the jobs handed back. */
  interruptAll(): void;
};

/**
 * Wires the deploy queue's job processors (jobs/index.ts) to a BullMQ worker on this host's
 * own deploy queue, `deploys@<config.host.id>`: only jobs of the projects placed here.
 */
export function startDeployWorker(
  deps: DeployDeps,
  connection: RedisConnection,
  options: { concurrency: number; prefix: string },
): DeployWorker {
  const running = new Set<AbortController>();

  const hostId = deps.config.host.id;
  const worker = new Worker(
    hostQueueName("deploys", hostId),
    async (job: Job, token?: string) => {
      const controller = new AbortController();
      running.add(controller);
      try {
        const process = DEPLOY_QUEUE_JOBS[job.name];
        if (!process) throw new UnrecoverableError(`unknown job name ${job.name}`);
        // A deploy's host is checked by the pipeline's first read (pickupPlace), which also
        // holds it during its project's move and forwards it after: no statement of its own.
        const recordedHost =
          job.name === DEPLOY_JOB ? undefined : await recordedHostOf(deps.db, job);
        if (recordedHost !== undefined && recordedHost !== null && recordedHost !== hostId)
          // Never run elsewhere: this host administers only its own cluster and directories.
          throw new UnrecoverableError(
            `refused: job ${job.id} (${job.name}) belongs to host ${recordedHost}, not this host ${hostId}`,
          );
        return await process(deps, job, token, controller.signal);
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
    if (error instanceof RecordedFailure) return;
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

/**
 * The host recorded on a job's backup or restore; undefined for a job that names none
 * (prune-backups) or whose record is gone (its processor says so). A deploy's is read by the
 * pipeline (run-deployment.ts).
 */
async function recordedHostOf(db: Db, job: Job): Promise<string | null | undefined> {
  const data = (job.data ?? {}) as { backupId?: unknown; restoreId?: unknown };
  const id = (value: unknown) => (typeof value === "string" ? value : "");
  const select = { hostId: true } as const;
  const found =
    job.name === BACKUP_JOB
      ? await db.backup.findUnique({ where: { id: id(data.backupId) }, select }).catch(() => null)
      : job.name === RESTORE_JOB
        ? await db.restore
            .findUnique({ where: { id: id(data.restoreId) }, select })
            .catch(() => null)
        : undefined;
  return found === undefined ? undefined : (found?.hostId ?? undefined);
}
