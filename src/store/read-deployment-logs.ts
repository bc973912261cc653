import type { Prisma } from "@prisma/client";
import type { Db } from "./prisma.js";
import { chunkLines, type LogStream } from "./step-log-lines.js";

export type DeploymentLogLine = {
  step: string;
  seq: number;
  /** When the line's write to the store began (see StepLogChunk). */
  at: Date;
  stream: LogStream;
  line: string;
};

/** Where a reader of a deployment's log is: per step name, the last `seq` it has seen. */
export type LogCursor = Record<string, number>;

/**
 * Chunks read by the first query, and the growth of each next one. A chunk holds 1 to 5,000
 * lines (one write of the step log): starting small keeps a page from reading far more lines
 * than it returns; growing keeps a log of many small chunks to a few queries.
 */
const FIRST_CHUNKS = 2;
const CHUNKS_GROWTH = 4;
const MAX_CHUNKS = 512;

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
  const limit = options.limit ?? 1000;
  const lines: DeploymentLogLine[] = [];
  let cursor = options.cursor ?? {};
  for (let take = FIRST_CHUNKS; ; take = Math.min(take * CHUNKS_GROWTH, MAX_CHUNKS)) {
    const seen = Object.keys(cursor);
    const after: Prisma.StepLogChunkWhereInput[] = [
      ...Object.entries(cursor).map(([name, seq]) => ({ step: { name }, lastSeq: { gt: seq } })),
      { step: { name: { notIn: seen } } },
    ];
    const chunks = await db.stepLogChunk.findMany({
      where: {
        step: { deploymentId, ...(options.step !== undefined && { name: options.step }) },
        OR: after,
        ...(options.since && { at: { gte: options.since } }),
      },
      orderBy: [{ step: { position: "asc" } }, { firstSeq: "asc" }],
      take,
      include: { step: { select: { name: true } } },
    });
    for (const chunk of chunks) {
      const step = chunk.step.name;
      const from = cursor[step] ?? -1;
      for (const line of chunkLines(chunk)) {
        if (line.seq <= from) continue;
        lines.push({ step, ...line });
        if (lines.length === limit) return lines;
      }
    }
    if (chunks.length < take) return lines;
    cursor = { ...cursor };
    for (const { step, lastSeq } of chunks) cursor[step.name] = lastSeq;
  }
}

/** The cursor after `lines` have been read from `cursor`. */
export function advanceCursor(cursor: LogCursor, lines: DeploymentLogLine[]): LogCursor {
  const next = { ...cursor };
  for (const { step, seq } of lines) next[step] = Math.max(next[step] ?? -1, seq);
  return next;
}
