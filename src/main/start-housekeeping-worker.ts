import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import { HOUSEKEEPING_JOBS } from "../jobs/index.js";
import type { Logger } from "../logger.js";
import { DEPLOY_QUEUE } from "../queue/deploy-job.js";
import { ensureHousekeepingSchedules, HOUSEKEEPING_QUEUE } from "../queue/housekeeping-job.js";
import { observedQueues } from "../queue/observed-queues.js";
import type { Db } from "../store/prisma.js";

const SCHEDULE_CHECK_MS = 60_000;

export type HousekeepingWorker = { worker: Worker; close(): Promise<void> };

/**
 * Runs the housekeeping queue's jobs (one at a time) in the worker process, and keeps its
 * schedules in place: now, and every minute in case Redis lost them.
 */
export async function startHousekeepingWorker(
  deps: { db: Db; config: Config; logger: Logger },
  connection: Redis,
): Promise<HousekeepingWorker> {
  const prefix = deps.config.queuePrefix;
  const queue = new Queue(HOUSEKEEPING_QUEUE, { connection, prefix });
  const cleaned = observedQueues(new Queue(DEPLOY_QUEUE, { connection, prefix }));
  const housekeeping = { db: deps.db, config: deps.config, queues: cleaned.all };
  const logger = deps.logger.child({ component: "housekeeping" });

  const worker = new Worker(
    HOUSEKEEPING_QUEUE,
    async (job: Job) => {
      const known = HOUSEKEEPING_JOBS.find((candidate) => candidate.name === job.name);
      if (!known) throw new UnrecoverableError(`unknown housekeeping job ${job.name}`);
      const summary = await known.run(housekeeping, { requestedBy: "schedule", dryRun: false });
      logger.info({ job: job.name, summary }, "housekeeping done");
      return summary;
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on("failed", (job, error) =>
    logger.error({ job: job?.name, err: error }, "housekeeping job failed"),
  );
  worker.on("error", (error) => logger.error({ err: error }, "housekeeping worker error"));

  const schedule = () =>
    ensureHousekeepingSchedules(queue, deps.config.housekeeping.everyMs).catch((error) =>
      logger.error({ err: error }, "could not set the housekeeping schedules"),
    );
  await schedule();
  const scheduling = setInterval(schedule, SCHEDULE_CHECK_MS);
  await worker.waitUntilReady();
  return {
    worker,
    async close() {
      clearInterval(scheduling);
      await worker.close();
      await Promise.all([queue.close(), cleaned.close(), cleaned.all[0]!.close()]);
    },
  };
}
