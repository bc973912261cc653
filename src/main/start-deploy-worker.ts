import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { DEPLOY_QUEUE_JOBS } from "../jobs/index.js";
import { RecordedFailure } from "../jobs/recorded-failure.js";
import type { DeployDeps } from "../pipeline/run-deployment.js";
import { DEPLOY_QUEUE, retryDelayMs } from "../queue/deploy-job.js";

export type DeployWorker = {
  worker: Worker;
  /** Stops every running deploy now: their steps are killed and the jobs handed back. */
  interruptAll(): void;
};

/** Wires the deploy queue's job processors (jobs/index.ts) to a BullMQ worker. */
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
        const process = DEPLOY_QUEUE_JOBS[job.name];
        if (!process) throw new UnrecoverableError(`unknown job name ${job.name}`);
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
