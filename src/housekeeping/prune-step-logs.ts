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
  if (summary.dryRun) {
    const [counted] = await db.$queryRaw<Array<{ steps: number; lines: number }>>`
      SELECT count(DISTINCT l."stepId")::int AS steps,
             coalesce(sum(l."lastSeq" - l."firstSeq" + 1), 0)::int AS lines
      FROM "StepLogChunk" l
      JOIN "DeploymentStep" s ON s.id = l."stepId"
      WHERE coalesce(s."finishedAt", s."startedAt") < ${olderThan}
        AND NOT EXISTS (SELECT 1 FROM "Project" p WHERE p."liveDeploymentId" = s."deploymentId")`;
    return { ...summary, steps: counted?.steps ?? 0, lines: counted?.lines ?? 0 };
  }
  for (;;) {
    const steps = await db.$queryRaw<Array<{ id: string }>>`
      SELECT s.id FROM "DeploymentStep" s
      WHERE coalesce(s."finishedAt", s."startedAt") < ${olderThan}
        AND EXISTS (SELECT 1 FROM "StepLogChunk" l WHERE l."stepId" = s.id)
        AND NOT EXISTS (SELECT 1 FROM "Project" p WHERE p."liveDeploymentId" = s."deploymentId")
      LIMIT ${BATCH_STEPS}`;
    if (steps.length === 0) return summary;
    const ids = steps.map((s) => s.id);
    const [deleted] = await db.$queryRaw<Array<{ lines: number }>>`
      WITH deleted AS (
        DELETE FROM "StepLogChunk" WHERE "stepId" = ANY(${ids}::uuid[])
        RETURNING "lastSeq" - "firstSeq" + 1 AS lines
      )
      SELECT coalesce(sum(lines), 0)::int AS lines FROM deleted`;
    summary.steps += steps.length;
    summary.lines += deleted?.lines ?? 0;
  }
}
