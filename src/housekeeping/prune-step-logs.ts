import { Prisma } from "@prisma/client";
import { foldMetricDeltas } from "../store/metric-totals.js";
import type { Db } from "../store/prisma.js";

/** Steps whose lines one statement deletes: keeps each transaction short on a busy table. */
const BATCH_STEPS = 200;

export type LogPruneSummary = {
  olderThan: string;
  /** Steps whose stored log was (or, dry, would be) deleted. */
  steps: number;
  lines: number;
  dryRun: boolean;
};

/**
 * Deletes the stored log lines of steps that ended before `olderThan`, step by step (a step's
 * log goes whole or not at all), except the steps of a live deployment: its log explains what
 * is serving. The step rows stay, with their bounded log tail, code and evidence.
 *
 * The steps are walked from the oldest stored log on, in batches, by the time of each log's
 * first line (a partial index holds one entry per step with a stored log): a step ended
 * before the cutoff cannot have logged after it, so the walk stops at the cutoff, and what it
 * reads is what it deletes plus the logs it keeps (the live deployments', at most a few per
 * project). A run with nothing to do reads an index entry or none. A real run also folds the
 * metric totals' deltas (store/metric-totals.ts), which a scrape otherwise does.
 */
export async function pruneStepLogs(
  db: Db,
  olderThan: Date,
  options: { dryRun?: boolean } = {},
): Promise<LogPruneSummary> {
  const summary: LogPruneSummary = {
    olderThan: olderThan.toISOString(),
    steps: 0,
    lines: 0,
    dryRun: options.dryRun === true,
  };
  // The metric totals' deltas are folded at every scrape; without Prometheus, here.
  if (!summary.dryRun) await foldMetricDeltas(db);
  // Timestamps are stored as Prisma writes them: UTC in a timestamp without time zone.
  const cutoff = olderThan.toISOString();
  // Where the walk is: the (first line's time, step id) of the last step it looked at.
  let after: { at: Date; stepId: string } | null = null;
  for (;;) {
    const cursor: Prisma.Sql = after
      ? Prisma.sql`AND (l.at, l."stepId") > (${after.at.toISOString()}::timestamp(3), ${after.stepId}::uuid)`
      : Prisma.empty;
    const batch = await db.$queryRaw<Array<{ at: Date; stepId: string; due: boolean }>>`
      SELECT l.at, l."stepId",
             coalesce(s."finishedAt", s."startedAt") < ${cutoff}::timestamp(3)
               AND NOT EXISTS (SELECT 1 FROM "Project" p WHERE p."liveDeploymentId" = s."deploymentId")
               AS due
      FROM "StepLogChunk" l JOIN "DeploymentStep" s ON s.id = l."stepId"
      WHERE l."firstSeq" = 0 AND l.at < ${cutoff}::timestamp(3) ${cursor}
      ORDER BY l.at, l."stepId"
      LIMIT ${BATCH_STEPS}`;
    const last = batch.at(-1);
    if (!last) return summary;
    after = { at: last.at, stepId: last.stepId };
    const ids = batch.filter((b) => b.due).map((b) => b.stepId);
    if (ids.length > 0) {
      const [counted] = summary.dryRun
        ? await db.$queryRaw<Array<{ lines: number }>>`
            SELECT coalesce(sum("lastSeq" - "firstSeq" + 1), 0)::int AS lines
            FROM "StepLogChunk" WHERE "stepId" = ANY(${ids}::uuid[])`
        : await db.$queryRaw<Array<{ lines: number }>>`
            WITH deleted AS (
              DELETE FROM "StepLogChunk" WHERE "stepId" = ANY(${ids}::uuid[])
              RETURNING "lastSeq" - "firstSeq" + 1 AS lines
            )
            SELECT coalesce(sum(lines), 0)::int AS lines FROM deleted`;
      summary.steps += ids.length;
      summary.lines += counted?.lines ?? 0;
    }
    if (batch.length < BATCH_STEPS) return summary;
  }
}
