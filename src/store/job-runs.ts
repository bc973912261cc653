import type { Prisma } from "@prisma/client";
import type { Db } from "./prisma.js";

/** The JobRun name of a reconciler run that acted (recovery/ records it, /metrics counts it). */
export const RECONCILE_JOB = "reconcile";

export type JobRunStart = {
  /** What runs, e.g. `prune-releases` or `backup`. */
  name: string;
  projectId?: string | null;
  /** Who asked: `schedule`, `cli`, an operator. */
  requestedBy?: string | null;
};

export type JobRunEnd =
  | { status: "succeeded"; summary?: Prisma.InputJsonValue }
  | { status: "failed"; error: string; summary?: Prisma.InputJsonValue };

/** Records that a job started (status `running`); returns the run's id for finishJobRun. */
export async function startJobRun(db: Db, run: JobRunStart): Promise<string> {
  const { id } = await db.jobRun.create({
    data: {
      name: run.name,
      projectId: run.projectId ?? null,
      requestedBy: run.requestedBy ?? null,
      status: "running",
    },
    select: { id: true },
  });
  return id;
}

/** Records how a started job ended, with what it did or why it failed. */
export async function finishJobRun(db: Db, id: string, end: JobRunEnd): Promise<void> {
  await db.jobRun.update({
    where: { id },
    data: {
      status: end.status,
      summary: end.summary,
      error: end.status === "failed" ? end.error : null,
      finishedAt: new Date(),
    },
  });
}

/**
 * Runs `work` as a recorded job run: `running` first, then `succeeded` with the summary it
 * returns, or `failed` with its error's message (and the error rethrown).
 */
export async function recordJobRun<T extends Prisma.InputJsonValue>(
  db: Db,
  run: JobRunStart,
  work: () => Promise<T>,
): Promise<T> {
  const id = await startJobRun(db, run);
  try {
    const summary = await work();
    await finishJobRun(db, id, { status: "succeeded", summary });
    return summary;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await finishJobRun(db, id, { status: "failed", error: message });
    throw error;
  }
}

/** The newest runs first, optionally of one job name or one project. */
export function listJobRuns(
  db: Db,
  filter: { name?: string; projectId?: string; limit?: number } = {},
) {
  return db.jobRun.findMany({
    where: { name: filter.name, projectId: filter.projectId },
    orderBy: { startedAt: "desc" },
    take: filter.limit ?? 20,
  });
}
