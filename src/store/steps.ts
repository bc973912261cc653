import type { StepStatus } from "@prisma/client";
import type { Db } from "./prisma.js";
import { type Attempt, fenced } from "./stale-attempt.js";

/** A step of one attempt: every write below is refused once that attempt is no longer current. */
export type StepKey = Attempt & { name: string };

/**
 * Matches the step only while its deployment is still running this attempt: a newer claim, or
 * a takeover that ended or re-queued the attempt, fences it off.
 */
function current(key: StepKey) {
  return {
    deploymentId: key.deploymentId,
    name: key.name,
    deployment: { is: { attempt: key.attempt, status: "running" as const } },
  };
}

export async function startStep(db: Db, key: StepKey): Promise<{ id: string }> {
  const started = await db.deploymentStep.updateManyAndReturn({
    where: current(key),
    data: {
      status: "running",
      attempt: key.attempt,
      pgid: null,
      pgidStartTicks: null,
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
  fenced(started.length, key, `starting ${key.name}`);
  return started[0]!;
}

/** The process group a step's command runs in, for whoever takes over from a dead worker. */
export async function recordStepProcess(
  db: Db,
  key: StepKey,
  group: { pgid: number; startTicks: bigint | null },
): Promise<void> {
  const { count } = await db.deploymentStep.updateMany({
    where: { ...current(key), status: "running" },
    data: { pgid: group.pgid, pgidStartTicks: group.startTicks },
  });
  fenced(count, key, `recording ${key.name}'s process`);
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
  const { count } = await db.deploymentStep.updateMany({
    where: current(key),
    data: {
      ...end,
      attempt: key.attempt,
      pgid: null,
      pgidStartTicks: null,
      finishedAt: new Date(),
    },
  });
  fenced(count, key, `finishing ${key.name}`);
}

/** Steps that never ran because an earlier one ended the deploy. */
export async function skipPendingSteps(db: Db, attempt: Attempt, reason: string) {
  await db.deploymentStep.updateMany({
    where: {
      deploymentId: attempt.deploymentId,
      status: "pending",
      deployment: { is: { attempt: attempt.attempt, status: "running" } },
    },
    data: {
      status: "skipped",
      skipReason: reason,
      attempt: attempt.attempt,
      finishedAt: new Date(),
    },
  });
}

/**
 * Resets a deployment's steps before a new attempt runs them again from the start. The
 * interrupted step of the attempt before stays `interrupted` until this attempt reaches it.
 */
export async function resetSteps(db: Db, attempt: Attempt): Promise<void> {
  const { deploymentId } = attempt;
  await db.$transaction([
    db.stepLogLine.deleteMany({ where: { step: { deploymentId } } }),
    db.deploymentStep.updateMany({
      where: {
        deploymentId,
        status: { notIn: ["pending", "interrupted"] },
        deployment: { is: { attempt: attempt.attempt, status: "running" } },
      },
      data: { status: "pending", startedAt: null, finishedAt: null },
    }),
  ]);
}
