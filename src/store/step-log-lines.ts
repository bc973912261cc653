import type { Db } from "./prisma.js";

export type StoredLine = { seq: number; at: Date; stream: string; line: string };

export async function appendLogLines(db: Db, stepId: string, lines: StoredLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db.stepLogLine.createMany({ data: lines.map((line) => ({ stepId, ...line })) });
}

export async function readLogLines(db: Db, stepId: string): Promise<StoredLine[]> {
  return db.stepLogLine.findMany({
    where: { stepId },
    orderBy: { seq: "asc" },
    select: { seq: true, at: true, stream: true, line: true },
  });
}
