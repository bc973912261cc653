import { Counter, type Registry } from "prom-client";
import { RECONCILE_JOB } from "../store/job-runs.js";
import type { Db } from "../store/prisma.js";

type Totals = { requeued: number; interrupted: number };

/**
 * What the reconciler did, summed over its recorded runs (a JobRun for each run that acted),
 * so every process reports it, not only the worker that reconciled.
 */
export function registerReconcilerMetrics(registry: Registry, db: Db): void {
  new Counter({
    name: "coduck_reconciler_actions_total",
    help: "Deployments the reconciler queued again (requeued), and running steps it recorded interrupted first (interrupted)",
    labelNames: ["action"],
    registers: [registry],
    async collect() {
      const [totals] = await db.$queryRaw<Totals[]>`
        SELECT coalesce(sum(jsonb_array_length(summary->'requeued')), 0)::int AS requeued,
               coalesce(sum(jsonb_array_length(summary->'interrupted')), 0)::int AS interrupted
        FROM "JobRun" WHERE name = ${RECONCILE_JOB} AND status = 'succeeded'`;
      this.reset();
      this.inc({ action: "requeued" }, totals?.requeued ?? 0);
      this.inc({ action: "interrupted" }, totals?.interrupted ?? 0);
    },
  });
}
