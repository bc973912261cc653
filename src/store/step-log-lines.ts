import type { Db } from "./prisma.js";

export type StoredLine = { seq: number; at: Date; stream: string; line: string };

/**
 * One statement per batch, whatever its size: five arrays unnested, so the statement's text
 * never changes (createMany inlines every value and Prisma compiles each call anew, about
 * 100 ms of the event loop for 500 lines).
 */
export async function appendLogLines(db: Db, stepId: string, lines: StoredLine[]): Promise<void> {
  if (lines.length === 0) return;
  const seqs = lines.map((line) => line.seq);
  // "at" is a timestamp without time zone holding UTC, as Prisma writes it.
  const ats = lines.map((line) => line.at.toISOString());
  const streams = lines.map((line) => line.stream);
  const texts = lines.map((line) => line.line);
  await db.$executeRaw`
    INSERT INTO "StepLogLine" ("stepId", seq, at, stream, line)
    SELECT ${stepId}::uuid, s.seq, s.at, s.stream, s.line
    FROM unnest(${seqs}::int[], ${ats}::timestamp(3)[], ${streams}::text[], ${texts}::text[])
      AS s(seq, at, stream, line)`;
}

export async function readLogLines(db: Db, stepId: string): Promise<StoredLine[]> {
  return db.stepLogLine.findMany({
    where: { stepId },
    orderBy: { seq: "asc" },
    select: { seq: true, at: true, stream: true, line: true },
  });
}
