import type { Queue } from "bullmq";
import { collectDefaultMetrics, Registry } from "prom-client";
import type { Logger } from "../logger.js";
import type { Db } from "../store/prisma.js";
import { registerDeploymentMetrics } from "./deployment-metrics.js";
import { registerDurationMetrics } from "./duration-metrics.js";
import { registerHostMetrics } from "./host-metrics.js";
import { registerJobRunMetrics } from "./job-run-metrics.js";
import { registerQueueMetrics } from "./queue-metrics.js";
import { registerReconcilerMetrics } from "./reconciler-metrics.js";
import { registerReleaseMetrics } from "./release-metrics.js";
import { scrapeTotals } from "./scrape-totals.js";

export type MetricsDeps = {
  db: Db;
  /** Every queue of the installation, asked at each scrape (hosts come and go). */
  queues: () => Promise<Queue[]>;
  logger: Logger;
  /** HOST_DOWN_AFTER_SECONDS, in ms: when a host is reported down. */
  hostDownAfterMs: number;
};

/**
 * Everything GET /metrics reports. All of it but the process's own (CPU, memory, event loop)
 * is read from Postgres and Redis at scrape time: any process serving HTTP — `serve` alone,
 * or a worker with `--with-http` — reports the whole installation, and all report the same.
 */
export function createMetricsRegistry(deps: MetricsDeps): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "coduck_process_" });
  const totals = scrapeTotals(deps.db);
  registerDeploymentMetrics(registry, totals);
  registerDurationMetrics(registry, totals);
  registerQueueMetrics(registry, deps.queues, deps.logger);
  registerReconcilerMetrics(registry, deps.db);
  registerJobRunMetrics(registry, deps.db);
  registerReleaseMetrics(registry, deps.db);
  registerHostMetrics(registry, deps.db, deps.hostDownAfterMs);
  return registry;
}
