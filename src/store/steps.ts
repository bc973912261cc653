import type { StepStatus } from "@prisma/client";
import type { Db } from "./prisma.js";

export type StepKey = { deploymentId: string; name: string };

export async function startStep(db: Db, key: StepKey): Promise<{ id: string }> {
  return db.deploymentStep.update({
    where: { deploymentId_name: key },
    data: {
      status: "running",
      startedAt: new Date(),
      finishedAt: null,
      command: null,
      exitCode: null,
      signal: null,
      durationMs: null,
      errorCode: null,
      hint: null,
      evidence: null,
      evidenceLine: null,
      skipReason: null,
      logTail: null,
    },
    select: { id: true },
  });
}

export type StepEnd = {
  status: Extract<StepStatus, "succeeded" | "failed" | "skipped" | "cancelled" | "interrupted">;
  durationMs: number;
  command?: string | null;
  exitCode?: number | null;
  signal?: string | null;
  errorCode?: string | null;
  hint?: string | null;
  evidence?: string | null;
  /** The evidence's line number in the step's log, when the classifier found it there. */
  evidenceLine?: number | null;
  skipReason?: string | null;
  logTail?: string | null;
};

export async function finishStep(db: Db, key: StepKey, end: StepEnd): Promise<void> {
  await db.deploymentStep.update({
    where: { deploymentId_name: key },
    data: { ...end, finishedAt: new Date() },
  });
}

/** Steps that never ran because an earlier one ended the deploy. */
export async function skipPendingSteps(db: Db, deploymentId: string, reason: string) {
  await db.deploymentStep.updateMany({
    where: { deploymentId, status: "pending" },
    data: { status: "skipped", skipReason: reason, finishedAt: new Date() },
  });
}

/** Resets a deployment's steps before a new attempt runs them again from the start. */
export async function resetSteps(db: Db, deploymentId: string): Promise<void> {
  await db.$transaction([
    db.stepLogLine.deleteMany({ where: { step: { deploymentId } } }),
    db.deploymentStep.updateMany({
      where: { deploymentId, status: { not: "pending" } },
      data: { status: "pending", startedAt: null, finishedAt: null },
    }),
  ]);
}
