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

/** Chunks read per query: most reads of a log are one query. */
const CHUNKS_PER_READ = 50;

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
  for (;;) {
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
      take: CHUNKS_PER_READ,
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
    if (chunks.length < CHUNKS_PER_READ) return lines;
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
