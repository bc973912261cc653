import {
  type MetricName,
  type MetricTotalRow,
  scrapeMetricTotals,
} from "../store/metric-totals.js";
import type { Db } from "../store/prisma.js";

/** The running totals of one scrape, shared by the metrics that report them. */
export type ScrapeTotals = () => Promise<Map<MetricName, MetricTotalRow[]>>;

/** A scrape asks for them once per metric, within milliseconds: one query answers them all. */
const SHARED_FOR_MS = 1_000;

/**
 * The deployment counts and duration histograms (store/metric-totals.ts), read with one
 * statement per scrape: the metrics of a scrape that ask within a second share its answer.
 */
export function scrapeTotals(db: Db): ScrapeTotals {
  let last: { at: number; totals: Promise<Map<MetricName, MetricTotalRow[]>> } | null = null;
  return () => {
    const now = performance.now();
    if (!last || now - last.at > SHARED_FOR_MS) {
      const totals = scrapeMetricTotals(db);
      // A failed read is not shared: the next metric (or scrape) asks again.
      totals.catch(() => {
        if (last?.totals === totals) last = null;
      });
      last = { at: now, totals };
    }
    return last.totals;
  };
}
