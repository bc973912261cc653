import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import { NOTIFY_QUEUE_JOBS } from "../jobs/index.js";
import type { Logger } from "../logger.js";
import { queueStatusNotifications } from "../notify/poll-status-changes.js";
import { NOTIFY_QUEUE } from "../queue/notify-job.js";
import type { RedisConnection } from "../queue/redis.js";
import type { Keyring } from "../secrets/keyring.js";
import type { Db } from "../store/prisma.js";

/** How often deployment rows are read for status changes. */
const POLL_MS = 2_000;
/** How far back the first poll looks (changes while no worker ran); within the jobs' retention. */
const CATCH_UP_MS = 10 * 60_000;
/** Each poll looks back this much before the previous one: a row committed late is not missed. */
const OVERLAP_MS = 5_000;

export type NotifyWorker = { worker: Worker; close(): Promise<void> };

/**
 * Outbound notifications in the worker process: a poller turning deployment status changes
 * into `notify` jobs, and a worker POSTing them (a few at a time; retries back off).
 */
export async function startNotifyWorker(
  deps: { db: Db; logger: Logger; keyring: Keyring; prefix: string },
  connection: RedisConnection,
  options: { pollMs?: number } = {},
): Promise<NotifyWorker> {
  const logger = deps.logger.child({ component: "notify" });
  const queue = new Queue(NOTIFY_QUEUE, { connection, prefix: deps.prefix });
  const worker = new Worker(
    NOTIFY_QUEUE,
    async (job: Job) => {
      const process = NOTIFY_QUEUE_JOBS[job.name];
      if (!process) throw new UnrecoverableError(`unknown job name ${job.name}`);
      return process(deps, job);
    },
    { connection, prefix: deps.prefix, concurrency: 4 },
  );
  worker.on("failed", (job, error) =>
    logger.warn(
      { deliveryId: job?.id, attempt: job?.attemptsMade, err: error.message },
      "notification not delivered",
    ),
  );
  worker.on("error", (error) => logger.error({ err: error }, "notify worker error"));
  await worker.waitUntilReady();

  let since = new Date(Date.now() - CATCH_UP_MS);
  let polling: Promise<void> = Promise.resolve();
  const poll = () => {
    polling = polling.then(async () => {
      const now = Date.now();
      try {
        await queueStatusNotifications(deps.db, queue, since);
        since = new Date(now - OVERLAP_MS);
      } catch (error) {
        logger.error({ err: error }, "could not read status changes to notify");
      }
    });
  };
  poll();
  const timer = setInterval(poll, options.pollMs ?? POLL_MS);
  return {
    worker,
    async close() {
      clearInterval(timer);
      await polling;
      await worker.close();
      await queue.close();
    },
  };
}
