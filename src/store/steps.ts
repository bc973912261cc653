import { Prisma, type StepStatus } from "@prisma/client";
import type { Db } from "./prisma.js";
import { type Attempt, fenced } from "./stale-attempt.js";

/** A step of one attempt: every write below is refused once that attempt is no longer current. */
export type StepKey = Attempt & { name: string };

// The step transitions and recording a command's process are the hot writes: one UPDATE … FROM
// "Deployment" each, the fence in its WHERE (Prisma's updateMany with a relation filter takes
// three round trips, and Prisma 6 compiles each ORM query anew: about 1.5 ms of CPU here).
// Timestamps are written as Prisma writes them: UTC in a timestamp without time zone.

/**
 * The FROM and WHERE of an `UPDATE "DeploymentStep" AS s` that matches the step only while its
 * deployment is still running this attempt: a newer claim, or a takeover that ended or
 * re-queued the attempt, fences it off.
 */
function whileCurrent(key: StepKey): Prisma.Sql {
  return Prisma.sql`FROM "Deployment" AS d
    WHERE d.id = s."deploymentId" AND s."deploymentId" = ${key.deploymentId}::uuid
      AND s.name = ${key.name} AND d.attempt = ${key.attempt} AND d.status = 'running'`;
}

export async function startStep(db: Db, key: StepKey): Promise<{ id: string }> {
  const started = await db.$queryRaw<{ id: string }[]>`
    UPDATE "DeploymentStep" AS s SET
      status = 'running', attempt = ${key.attempt}, pgid = NULL, "pgidStartTicks" = NULL,
      "startedAt" = ${new Date().toISOString()}::timestamp(3), "finishedAt" = NULL,
      command = NULL, "exitCode" = NULL, signal = NULL, "durationMs" = NULL, "errorCode" = NULL,
      hint = NULL, evidence = NULL, "evidenceLine" = NULL, "skipReason" = NULL, "logTail" = NULL
    ${whileCurrent(key)}
    RETURNING s.id`;
  fenced(started.length, key, `starting ${key.name}`);
  return started[0]!;
}

/**
 * The process group a step's command runs in, for whoever takes over from a dead worker: one
 * UPDATE per command the step spawns, fenced as startStep is.
 */
export async function recordStepProcess(
  db: Db,
  key: StepKey,
  group: { pgid: number; startTicks: bigint | null },
): Promise<void> {
  const count = await db.$executeRaw`
    UPDATE "DeploymentStep" AS s SET pgid = ${group.pgid}, "pgidStartTicks" = ${group.startTicks}
    ${whileCurrent(key)} AND s.status = 'running'`;
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

/** The column each StepEnd field is written to (constants: never user input). */
const END_COLUMNS: Record<keyof StepEnd, string> = {
  status: "status",
  durationMs: '"durationMs"',
  command: "command",
  exitCode: '"exitCode"',
  signal: "signal",
  errorCode: '"errorCode"',
  hint: "hint",
  evidence: "evidence",
  evidenceLine: '"evidenceLine"',
  skipReason: '"skipReason"',
  logTail: '"logTail"',
};

export async function finishStep(db: Db, key: StepKey, end: StepEnd): Promise<void> {
  // A field left undefined keeps its value, as with Prisma's update.
  const given = (Object.keys(END_COLUMNS) as (keyof StepEnd)[]).filter(
    (field) => end[field] !== undefined,
  );
  const sets = given.map((field) =>
    field === "status"
      ? Prisma.sql`status = ${end.status}::"StepStatus"`
      : Prisma.sql`${Prisma.raw(END_COLUMNS[field])} = ${end[field]}`,
  );
  const count = await db.$executeRaw`
    UPDATE "DeploymentStep" AS s SET
      ${Prisma.join(sets)}, attempt = ${key.attempt}, pgid = NULL, "pgidStartTicks" = NULL,
      "finishedAt" = ${new Date().toISOString()}::timestamp(3)
    ${whileCurrent(key)}`;
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
    db.stepLogChunk.deleteMany({ where: { step: { deploymentId } } }),
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
