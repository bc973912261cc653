import { Gauge, type Registry } from "prom-client";
import { DEPLOYMENT_STATUSES } from "../store/deployment-statuses.js";
import type { Db } from "../store/prisma.js";

/**
 * Deployments by status and failed deployments by failure code, counted in Postgres at every
 * scrape, so that any process serving /metrics reports the same numbers.
 */
export function registerDeploymentMetrics(registry: Registry, db: Db): void {
  new Gauge({
    name: "coduck_deployments",
    help: "Deployments recorded, by their current status",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const rows = await db.deployment.groupBy({ by: ["status"], _count: { _all: true } });
      this.reset();
      // Every status appears, at 0 too: a rate over a series that is sometimes missing lies.
      for (const status of DEPLOYMENT_STATUSES) this.set({ status }, 0);
      for (const row of rows) this.set({ status: row.status }, row._count._all);
    },
  });

  new Gauge({
    name: "coduck_failed_deployments",
    help: "Failed deployments, by failure code",
    labelNames: ["code"],
    registers: [registry],
    async collect() {
      const rows = await db.deployment.groupBy({
        by: ["errorCode"],
        where: { status: "failed" },
        _count: { _all: true },
      });
      this.reset();
      for (const row of rows) this.set({ code: row.errorCode ?? "UNKNOWN" }, row._count._all);
    },
  });
}
