import type { Registry } from "prom-client";
import type { Db } from "../store/prisma.js";
import { cumulativeSeries, RowHistogram } from "./row-histogram.js";

/** Seconds: a step takes from milliseconds (a skipped build) to the 15-minute timeout. */
const STEP_BOUNDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800];
/** Seconds: verifying takes milliseconds, creating a database about a second. */
const PROVISIONING_BOUNDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type BucketRow = { step: string; status: string; bucket: number; count: number; sum: number };
type ProvisionRow = { kind: string; bucket: number; count: number; sum: number };

/**
 * Step and provisioning durations as histograms, counted from the recorded steps at every
 * scrape (one grouped query each), so the HTTP-only `serve` process reports them as well as a
 * worker does, and they survive restarts.
 */
export function registerDurationMetrics(registry: Registry, db: Db): void {
  const stepThresholds = milliseconds(STEP_BOUNDS);
  registry.registerMetric(
    new RowHistogram(
      "coduck_step_duration_seconds",
      "Duration of finished deploy steps, by step and how the step ended",
      STEP_BOUNDS,
      async () => {
        // width_bucket(ms - 1, bounds) is the number of bounds below ms (ms is whole), that is
        // the index of the first bound the duration is at or under (Prometheus' `le`).
        const rows = await db.$queryRaw<BucketRow[]>`
          SELECT name AS step, status::text AS status,
                 width_bucket("durationMs" - 1, ${stepThresholds}::int[]) AS bucket,
                 count(*)::int AS count, (sum("durationMs") / 1000.0)::float8 AS sum
          FROM "DeploymentStep"
          WHERE "durationMs" IS NOT NULL
          GROUP BY 1, 2, 3`;
        return cumulativeSeries(
          STEP_BOUNDS,
          rows.map((r) => ({ ...r, labels: { step: r.step, status: r.status } })),
        );
      },
    ).asMetric(),
  );

  const provisionThresholds = milliseconds(PROVISIONING_BOUNDS);
  registry.registerMetric(
    new RowHistogram(
      "coduck_provisioning_duration_seconds",
      "Duration of successful provisioning: a project's first (it created the database) or a repeat (verify and repair)",
      PROVISIONING_BOUNDS,
      async () => {
        const rows = await db.$queryRaw<ProvisionRow[]>`
          WITH provisions AS (
            SELECT s."durationMs" AS ms,
                   row_number() OVER (PARTITION BY d."projectId" ORDER BY s."startedAt") AS nth
            FROM "DeploymentStep" s JOIN "Deployment" d ON d.id = s."deploymentId"
            WHERE s.name = 'provision' AND s.status = 'succeeded' AND s."durationMs" IS NOT NULL
          )
          SELECT CASE WHEN nth = 1 THEN 'first' ELSE 'repeat' END AS kind,
                 width_bucket(ms - 1, ${provisionThresholds}::int[]) AS bucket,
                 count(*)::int AS count, (sum(ms) / 1000.0)::float8 AS sum
          FROM provisions
          GROUP BY 1, 2`;
        return cumulativeSeries(
          PROVISIONING_BOUNDS,
          rows.map((r) => ({ ...r, labels: { kind: r.kind } })),
        );
      },
    ).asMetric(),
  );
}

function milliseconds(seconds: number[]): number[] {
  return seconds.map((s) => Math.round(s * 1000));
}
