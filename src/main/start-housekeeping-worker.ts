import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Config } from "../config.js";
import { HOUSEKEEPING_JOBS } from "../jobs/index.js";
import type { Logger } from "../logger.js";
import type { HostQueues } from "../queue/host-queues.js";
import {
  ensureHousekeepingSchedules,
  HOUSEKEEPING_QUEUE,
  isHostHousekeeping,
} from "../queue/housekeeping-job.js";
import { hostIds } from "../store/hosts.js";
import type { Db } from "../store/prisma.js";

const SCHEDULE_CHECK_MS = 60_000;

export type HousekeepingWorker = { workers: Worker[]; close(): Promise<void> };

/**
 * Runs the housekeeping jobs (one at a time per queue) in the worker process: this host's own
 * (`housekeeping@<host>`: prune-releases and prune-caches, on its DATA_DIR) and the shared
 * ones (`housekeeping`: prune-logs, clean-jobs, whichever worker takes them). Keeps both
 * queues' schedules in place: now, and every minute in case Redis lost them.
 */
export async function startHousekeepingWorker(
  deps: { db: Db; config: Config; logger: Logger },
  queues: HostQueues,
): Promise<HousekeepingWorker> {
  const { connection, prefix } = queues;
  const hostId = deps.config.host.id;
  const own = queues.housekeeping(hostId);
  const shared = queues.named(HOUSEKEEPING_QUEUE);
  const housekeeping = {
    db: deps.db,
    config: deps.config,
    queues: async () => queues.all(await hostIds(deps.db)),
  };
  const logger = deps.logger.child({ component: "housekeeping" });

  const start = (queueName: string, kind: "host" | "shared") => {
    const worker = new Worker(
      queueName,
      async (job: Job) => {
        const known = HOUSEKEEPING_JOBS.find((candidate) => candidate.name === job.name);
        if (!known || isHostHousekeeping(job.name) !== (kind === "host"))
          throw new UnrecoverableError(`unknown housekeeping job ${job.name} on ${queueName}`);
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
    return worker;
  };
  const workers = [start(own.name, "host"), start(shared.name, "shared")];

  const schedule = () =>
    Promise.all([
      ensureHousekeepingSchedules(own, deps.config.housekeeping.everyMs, "host"),
      ensureHousekeepingSchedules(shared, deps.config.housekeeping.everyMs, "shared"),
    ]).catch((error) => logger.error({ err: error }, "could not set the housekeeping schedules"));
  await schedule();
  const scheduling = setInterval(schedule, SCHEDULE_CHECK_MS);
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  return {
    workers,
    async close() {
      clearInterval(scheduling);
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
