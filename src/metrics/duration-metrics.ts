import type { Registry } from "prom-client";
import type { MetricName } from "../store/metric-totals.js";
import { cumulativeSeries, RowHistogram } from "./row-histogram.js";
import type { ScrapeTotals } from "./scrape-totals.js";

/** Seconds: a step takes from milliseconds (a skipped build) to the 15-minute timeout. */
export const STEP_BOUNDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800];
/** Seconds: verifying takes milliseconds, creating a database about a second. */
export const PROVISIONING_BOUNDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Step and provisioning durations as histograms, kept in Postgres as steps end (triggers on
 * DeploymentStep, store/metric-totals.ts), so the HTTP-only `serve` process reports them as
 * well as a worker does, they survive restarts, and a scrape reads one row per bucket whatever
 * the history. The bounds here, in seconds, are the migration's coduck_metric_bucket in
 * milliseconds (test/metrics/metric-totals.int.test.ts holds them equal).
 */
export function registerDurationMetrics(registry: Registry, totals: ScrapeTotals): void {
  const histogram = (metric: MetricName, bounds: number[]) => async () => {
    const rows = (await totals()).get(metric) ?? [];
    return cumulativeSeries(
      bounds,
      rows.map((r) => ({
        labels: r.labels,
        bucket: r.bucket,
        count: r.count,
        sum: r.sumMs / 1000,
      })),
    );
  };
  registry.registerMetric(
    new RowHistogram(
      "coduck_step_duration_seconds",
      "Duration of finished deploy steps, by step and how the step ended",
      STEP_BOUNDS,
      histogram("step_duration", STEP_BOUNDS),
    ).asMetric(),
  );
  registry.registerMetric(
    new RowHistogram(
      "coduck_provisioning_duration_seconds",
      "Duration of successful provisioning: a project's first (it created the database) or a repeat (verify and repair)",
      PROVISIONING_BOUNDS,
      histogram("provisioning_duration", PROVISIONING_BOUNDS),
    ).asMetric(),
  );
}
