import type { Prisma } from "@prisma/client";
import type { Db } from "./prisma.js";
import { type Attempt, fenced } from "./stale-attempt.js";

export type LogStream = "stdout" | "stderr" | "system";

/** One line of a step's stored log. `at` is when the first line of its write came. */
export type StoredLine = { seq: number; at: Date; stream: LogStream; line: string };

/** A step's log as one attempt writes it: its writes are refused once it is no longer current. */
export type LogTarget = Attempt & { stepId: string };

/** A line to store: it never holds "\n". */
export type NewLine = { stream: LogStream; line: string };

const LETTER: Record<LogStream, string> = { stdout: "o", stderr: "e", system: "s" };
const STREAM: Record<string, LogStream> = { o: "stdout", e: "stderr", s: "system" };

/**
 * Stores `lines` as the step's lines `firstSeq`, `firstSeq + 1`, …: one row whatever their
 * number (a row per line made Postgres, on the same cores as the command, the slowest part of
 * a step that prints fast). Refused, with StaleAttemptError, once the deployment is no longer
 * running `target.attempt`: a worker that lost its deploy but kept running writes nothing into
 * the log of the attempt that took over.
 */
export async function appendLogLines(
  db: Db,
  target: LogTarget,
  chunk: { firstSeq: number; at: Date; lines: readonly NewLine[] },
): Promise<void> {
  const { firstSeq, at, lines } = chunk;
  if (lines.length === 0) return;
  let streams = "";
  for (const { stream } of lines) streams += LETTER[stream];
  const text = lines.map((l) => l.line).join("\n");
  // "at" is a timestamp without time zone holding UTC, as Prisma writes it. FOR SHARE: a claim
  // of a newer attempt (which updates the deployment row) waits for this write, or this write
  // for it and then sees the new attempt, so the new attempt's reset never misses a line.
  const count = await db.$executeRaw`
    INSERT INTO "StepLogChunk" ("stepId", "firstSeq", "lastSeq", at, streams, lines)
    SELECT s.id, ${firstSeq}, ${firstSeq + lines.length - 1},
      ${at.toISOString()}::timestamp(3), ${streams}, ${text}
    FROM "DeploymentStep" AS s
    WHERE s.id = ${target.stepId}::uuid AND s."deploymentId" = ${target.deploymentId}::uuid
      AND EXISTS (
        SELECT 1 FROM "Deployment" AS d
        WHERE d.id = s."deploymentId" AND d.attempt = ${target.attempt} AND d.status = 'running'
        FOR SHARE
      )`;
  fenced(count, target, "storing the step's log");
}

/** The lines of stored chunks, in order. */
export function chunkLines(chunk: {
  firstSeq: number;
  at: Date;
  streams: string;
  lines: string;
}): StoredLine[] {
  const lines = chunk.lines.split("\n");
  return lines.map((line, i) => ({
    seq: chunk.firstSeq + i,
    at: chunk.at,
    stream: STREAM[chunk.streams[i]!] ?? "system",
    line,
  }));
}

/** A step's stored lines, in order. */
export async function readLogLines(db: Db, stepId: string): Promise<StoredLine[]> {
  const chunks = await db.stepLogChunk.findMany({
    where: { stepId },
    orderBy: { firstSeq: "asc" },
  });
  return chunks.flatMap(chunkLines);
}

/** How many lines the chunks `where` selects hold. */
export async function countLogLines(db: Db, where: Prisma.StepLogChunkWhereInput): Promise<number> {
  const { _sum, _count } = await db.stepLogChunk.aggregate({
    where,
    _sum: { firstSeq: true, lastSeq: true },
    _count: true,
  });
  return (_sum.lastSeq ?? 0) - (_sum.firstSeq ?? 0) + _count;
}
