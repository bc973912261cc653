import type { Db } from "./prisma.js";

/**
 * The running totals /metrics reports (MetricTotal in schema.prisma): Postgres triggers on
 * Deployment and DeploymentStep append a MetricDelta for each series a write changes, in the
 * writer's own transaction. Folding moves the deltas into MetricTotal, so that what a read
 * adds up stays as small as the number of series, whatever the history.
 */
export type MetricName = "deployments" | "step_duration" | "provisioning_duration";

/** One series (or one histogram bucket of it) as it stands now. */
export type MetricTotalRow = {
  labels: Record<string, string>;
  /** A histogram's bucket index (see coduck_metric_bucket in the migration); 0 for a count. */
  bucket: number;
  count: number;
  sumMs: number;
};

/**
 * Folds the deltas written so far into the totals: one statement, so one transaction. Only one
 * fold runs at a time (a transaction-scoped advisory lock, tried, not waited for): a second
 * caller meanwhile folds nothing, and its read still adds the deltas it sees. Returns how many
 * deltas were folded.
 */
export async function foldMetricDeltas(db: Db): Promise<number> {
  const [folded] = await db.$queryRaw<Array<{ deltas: number }>>`
    WITH held AS (
      SELECT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('coduck.metric-fold', 0)) AS held
    ), moved AS (
      DELETE FROM "MetricDelta" WHERE (SELECT held FROM held)
      RETURNING metric, labels, bucket, count, "sumMs"
    ), summed AS (
      SELECT metric, labels, bucket, sum(count) AS count, sum("sumMs") AS "sumMs", count(*) AS deltas
      FROM moved GROUP BY 1, 2, 3
    ), upserted AS (
      INSERT INTO "MetricTotal" (metric, labels, bucket, count, "sumMs")
      SELECT metric, labels, bucket, count, "sumMs" FROM summed ORDER BY 1, 2, 3
      ON CONFLICT (metric, labels, bucket) DO UPDATE
        SET count = "MetricTotal".count + excluded.count,
            "sumMs" = "MetricTotal"."sumMs" + excluded."sumMs"
    )
    SELECT coalesce(sum(deltas), 0)::int AS deltas FROM summed`;
  return folded?.deltas ?? 0;
}

/**
 * Every metric's series as they stand, folding the deltas on the way: one statement. Its read
 * sees the snapshot the fold started from (totals before, deltas not yet removed), so the sum
 * is the same either way. Series (and buckets) at zero are left out, as a count over no rows
 * would be.
 */
export async function scrapeMetricTotals(
  db: Db,
  options: { fold?: boolean } = {},
): Promise<Map<MetricName, MetricTotalRow[]>> {
  const fold = options.fold !== false;
  const rows = await db.$queryRaw<
    Array<{ metric: MetricName; labels: string; bucket: number; count: number; sumMs: number }>
  >`
    WITH held AS (
      SELECT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('coduck.metric-fold', 0)) AS held
    ), moved AS (
      DELETE FROM "MetricDelta" WHERE ${fold} AND (SELECT held FROM held)
      RETURNING metric, labels, bucket, count, "sumMs"
    ), folded AS (
      INSERT INTO "MetricTotal" (metric, labels, bucket, count, "sumMs")
      SELECT metric, labels, bucket, sum(count), sum("sumMs") FROM moved
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (metric, labels, bucket) DO UPDATE
        SET count = "MetricTotal".count + excluded.count,
            "sumMs" = "MetricTotal"."sumMs" + excluded."sumMs"
    )
    SELECT metric, labels, bucket, sum(count)::float8 AS count, sum("sumMs")::float8 AS "sumMs"
    FROM (
      SELECT metric, labels, bucket, count, "sumMs" FROM "MetricTotal"
      UNION ALL
      SELECT metric, labels, bucket, count, "sumMs" FROM "MetricDelta"
    ) t
    GROUP BY 1, 2, 3
    HAVING sum(count) <> 0 OR sum("sumMs") <> 0`;
  const byMetric = new Map<MetricName, MetricTotalRow[]>();
  for (const r of rows) {
    const list = byMetric.get(r.metric) ?? [];
    list.push({
      labels: JSON.parse(r.labels) as Record<string, string>,
      bucket: r.bucket,
      count: r.count,
      sumMs: r.sumMs,
    });
    byMetric.set(r.metric, list);
  }
  return byMetric;
}

/**
 * A metric's series as they stand: its totals plus the deltas not folded yet, read in one
 * snapshot, without folding.
 */
export async function readMetricTotals(db: Db, metric: MetricName): Promise<MetricTotalRow[]> {
  return (await scrapeMetricTotals(db, { fold: false })).get(metric) ?? [];
}
