import { Gauge, type Registry } from "prom-client";
import { DEPLOYMENT_STATUSES } from "../store/deployment-statuses.js";
import type { ScrapeTotals } from "./scrape-totals.js";

/**
 * Deployments by status and failed deployments by failure code: counts Postgres keeps as
 * deployments are recorded, change status and are deleted (store/metric-totals.ts), so any
 * process serving /metrics reports the same numbers, read from a few rows at any history size.
 */
export function registerDeploymentMetrics(registry: Registry, totals: ScrapeTotals): void {
  const series = async () => (await totals()).get("deployments") ?? [];

  new Gauge({
    name: "coduck_deployments",
    help: "Deployments recorded, by their current status",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const rows = await series();
      this.reset();
      // Every status appears, at 0 too: a rate over a series that is sometimes missing lies.
      for (const status of DEPLOYMENT_STATUSES) this.set({ status }, 0);
      for (const row of rows) this.inc({ status: row.labels.status! }, row.count);
    },
  });

  new Gauge({
    name: "coduck_failed_deployments",
    help: "Failed deployments, by failure code",
    labelNames: ["code"],
    registers: [registry],
    async collect() {
      const rows = await series();
      this.reset();
      for (const row of rows)
        if (row.labels.status === "failed") this.inc({ code: row.labels.code! }, row.count);
    },
  });
}
