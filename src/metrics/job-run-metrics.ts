import { Counter, Gauge, type Registry } from "prom-client";
import type { Db } from "../store/prisma.js";

type RunCount = { name: string; status: string; runs: number };
type LastSuccess = { name: string; at: number };

/**
 * Background job runs recorded in JobRun (housekeeping, the reconciler, backups), by name and
 * outcome, and when each last succeeded: `time() - coduck_job_run_last_success_timestamp_seconds`
 * is what to alert on when a job stops running.
 */
export function registerJobRunMetrics(registry: Registry, db: Db): void {
  new Counter({
    name: "coduck_job_runs_total",
    help: "Recorded background job runs, by job name and status (running, succeeded, failed)",
    labelNames: ["name", "status"],
    registers: [registry],
    async collect() {
      const rows = await db.$queryRaw<RunCount[]>`
        SELECT name, status, count(*)::int AS runs FROM "JobRun" GROUP BY 1, 2`;
      this.reset();
      for (const row of rows) this.inc({ name: row.name, status: row.status }, row.runs);
    },
  });
  new Gauge({
    name: "coduck_job_run_last_success_timestamp_seconds",
    help: "When each background job last finished successfully (Unix time)",
    labelNames: ["name"],
    registers: [registry],
    async collect() {
      const rows = await db.$queryRaw<LastSuccess[]>`
        SELECT name, extract(epoch FROM max("finishedAt"))::float8 AS at
        FROM "JobRun" WHERE status = 'succeeded' GROUP BY 1`;
      this.reset();
      for (const row of rows) this.set({ name: row.name }, row.at);
    },
  });
}
