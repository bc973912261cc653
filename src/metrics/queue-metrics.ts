import type { Queue } from "bullmq";
import { Gauge, type Registry } from "prom-client";
import type { Logger } from "../logger.js";
import { lostConnection } from "../queue/lost-connection.js";
import { withTimeout } from "../with-timeout.js";

const STATES = ["waiting", "active", "delayed", "failed"] as const;
const SCRAPE_TIMEOUT_MS = 2_000;

/**
 * Jobs in each queue by state, asked of Redis at every scrape. With Redis unreachable the
 * series are left out (and `coduck_queue_up` is 0) rather than the scrape hanging.
 */
export function registerQueueMetrics(
  registry: Registry,
  allQueues: () => Promise<Queue[]>,
  logger: Logger,
): void {
  const up = new Gauge({
    name: "coduck_queue_up",
    help: "1 when Redis answered this scrape's queue counts, 0 when it did not",
    registers: [registry],
  });
  new Gauge({
    name: "coduck_queue_jobs",
    help: "Jobs in each queue, by state",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const queues = await allQueues();
        const lost = lostConnection(queues[0]!);
        if (lost) throw new Error(lost);
        const counts = await withTimeout(
          Promise.all(queues.map((queue) => queue.getJobCounts(...STATES))),
          SCRAPE_TIMEOUT_MS,
          "redis",
        );
        counts.forEach((byState, i) => {
          for (const state of STATES)
            this.set({ queue: queues[i]!.name, state }, byState[state] ?? 0);
        });
        up.set(1);
      } catch (error) {
        logger.warn({ err: error }, "queue counts left out of /metrics: Redis did not answer");
        up.set(0);
      }
    },
  });
}
