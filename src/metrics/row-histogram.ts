import type { Metric } from "prom-client";

/** One series of a histogram counted elsewhere: how many observations fell at or under each bound. */
export type CountedSeries = {
  labels: Record<string, string>;
  /** Observations ≤ each bound, in the order of the histogram's bounds (cumulative). */
  atOrBelow: number[];
  count: number;
  sum: number;
};

/**
 * A Prometheus histogram whose buckets are read at scrape time by `count()` (from the running
 * totals Postgres keeps) instead of observed in this process, so that every process serving
 * /metrics reports the same histogram. prom-client's own Histogram can only
 * observe one value at a time, hence this small metric of our own, in its exposition shape.
 */
export class RowHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds in seconds, ascending. */
    readonly bounds: readonly number[],
    private readonly count: () => Promise<CountedSeries[]>,
  ) {}

  async get() {
    const values = [];
    for (const series of await this.count()) {
      this.bounds.forEach((le, i) => {
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...series.labels, le },
          value: series.atOrBelow[i] ?? 0,
        });
      });
      values.push(
        {
          metricName: `${this.name}_bucket`,
          labels: { ...series.labels, le: "+Inf" },
          value: series.count,
        },
        { metricName: `${this.name}_sum`, labels: series.labels, value: series.sum },
        { metricName: `${this.name}_count`, labels: series.labels, value: series.count },
      );
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  reset(): void {}

  /** For Registry.registerMetric, which is typed for prom-client's own classes only. */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}

/**
 * Turns rows of (labels, bucket index, count, sum) into cumulative series. `bucket` is the
 * index of the first bound an observation is at or under (bounds.length: above every bound).
 */
export function cumulativeSeries(
  bounds: readonly number[],
  rows: Array<{ labels: Record<string, string>; bucket: number; count: number; sum: number }>,
): CountedSeries[] {
  const byLabels = new Map<string, CountedSeries>();
  for (const row of rows) {
    const key = JSON.stringify(row.labels);
    let series = byLabels.get(key);
    if (!series) {
      series = { labels: row.labels, atOrBelow: bounds.map(() => 0), count: 0, sum: 0 };
      byLabels.set(key, series);
    }
    for (let i = row.bucket; i < bounds.length; i++) series.atOrBelow[i]! += row.count;
    series.count += row.count;
    series.sum += row.sum;
  }
  return [...byLabels.values()];
}
