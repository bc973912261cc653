import type { Prisma } from "@prisma/client";
import type { Db } from "./prisma.js";

export type DeploymentLogLine = {
  step: string;
  seq: number;
  at: Date;
  stream: string;
  line: string;
};

/** Where a reader of a deployment's log is: per step name, the last `seq` it has seen. */
export type LogCursor = Record<string, number>;

/**
 * A deployment's stored log lines (or one step's) that come after `cursor`, in step order then
 * `seq` order, at most `limit` of them: read again with the advanced cursor until a read
 * returns fewer than `limit`. `since` leaves out lines written before it (an earlier attempt's,
 * which a new attempt deletes when it starts).
 */
export async function readDeploymentLogs(
  db: Db,
  deploymentId: string,
  options: { step?: string; cursor?: LogCursor; since?: Date; limit?: number } = {},
): Promise<DeploymentLogLine[]> {
  const cursor = options.cursor ?? {};
  const seen = Object.keys(cursor);
  const after: Prisma.StepLogLineWhereInput[] = [
    ...Object.entries(cursor).map(([name, seq]) => ({ step: { name }, seq: { gt: seq } })),
    { step: { name: { notIn: seen } } },
  ];
  const rows = await db.stepLogLine.findMany({
    where: {
      step: { deploymentId, ...(options.step !== undefined && { name: options.step }) },
      OR: after,
      ...(options.since && { at: { gte: options.since } }),
    },
    orderBy: [{ step: { position: "asc" } }, { seq: "asc" }],
    take: options.limit ?? 1000,
    select: { seq: true, at: true, stream: true, line: true, step: { select: { name: true } } },
  });
  return rows.map(({ step, ...row }) => ({ step: step.name, ...row }));
}

/** The cursor after `lines` have been read from `cursor`. */
export function advanceCursor(cursor: LogCursor, lines: DeploymentLogLine[]): LogCursor {
  const next = { ...cursor };
  for (const { step, seq } of lines) next[step] = Math.max(next[step] ?? -1, seq);
  return next;
}
