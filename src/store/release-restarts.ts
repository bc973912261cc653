import type { Prisma } from "@prisma/client";
import type { FailureCode } from "../failures/codes.js";
import type { Db } from "./prisma.js";

/** A live release supervisord runs, as the supervision watch compares it with supervisord. */
export type WatchedRelease = {
  id: string;
  project: { id: string; slug: string };
  program: string;
  /** The process last recorded for it; null when none was seen yet. */
  pid: number | null;
  /** That process's start time (/proc/<pid>/stat field 22). */
  startTicks: bigint | null;
  logFile: string | null;
  degraded: boolean;
};

/** Why a live release's process ended: the classified code and the lines that show it. */
export type ReleaseExitCause = { code: FailureCode; evidence: string };

/** The live releases that run as supervisord programs and have not crashed for good. */
export async function watchedReleases(db: Db): Promise<WatchedRelease[]> {
  const rows = await db.deployment.findMany({
    where: { liveFor: { isNot: null }, releaseProgram: { not: null }, releaseCrashedAt: null },
    select: {
      id: true,
      releaseProgram: true,
      releasePid: true,
      releaseStartTicks: true,
      releaseLog: true,
      degradedAt: true,
      project: { select: { id: true, slug: true } },
    },
  });
  return rows.map((row) => ({
    id: row.id,
    project: row.project,
    program: row.releaseProgram!,
    pid: row.releasePid,
    startTicks: row.releaseStartTicks,
    logFile: row.releaseLog,
    degraded: row.degradedAt !== null,
  }));
}

/**
 * Records that supervisord restarted a live release: one more restart, how the previous
 * process ended, the new process, and the deployment degraded with the exit's cause (the latest
 * exit's cause replaces an earlier one; degradedAt keeps when it first was). Conditional on the
 * recorded pid still being `previousPid`, so of two workers seeing the same new process only
 * one counts it. Returns whether it was recorded.
 */
export async function recordReleaseRestart(
  db: Db,
  deploymentId: string,
  restart: {
    previousPid: number | null;
    pid: number;
    startTicks: bigint | null;
    lastExit: string;
    cause: ReleaseExitCause;
  },
): Promise<boolean> {
  return recordDegrading(db, deploymentId, { releasePid: restart.previousPid }, (now) => ({
    releaseRestarts: { increment: 1 },
    releaseLastExit: restart.lastExit,
    releaseLastRestartAt: now,
    releasePid: restart.pid,
    releaseStartTicks: restart.startTicks,
    ...causeColumns(restart.cause),
  }));
}

/**
 * Records a live release's new process that is no crash (a supervisord that came back started
 * it again): only the process changes. Conditional on the recorded pid, as a restart is.
 */
export async function recordReleaseProcess(
  db: Db,
  deploymentId: string,
  next: { previousPid: number | null; pid: number; startTicks: bigint | null },
): Promise<boolean> {
  const { count } = await db.deployment.updateMany({
    where: { id: deploymentId, releasePid: next.previousPid, releaseCrashedAt: null },
    data: { releasePid: next.pid, releaseStartTicks: next.startTicks },
  });
  return count === 1;
}

/**
 * Records how a live release's process ended while supervisord waits to start it again
 * (BACKOFF, EXITED): the deployment shows degraded with the cause at once, before the next
 * process comes. Only while `pid` is still the recorded process. Returns whether it was recorded.
 */
export async function recordReleaseExit(
  db: Db,
  deploymentId: string,
  exit: { pid: number | null; lastExit: string; cause: ReleaseExitCause },
): Promise<boolean> {
  return recordDegrading(db, deploymentId, { releasePid: exit.pid }, () => ({
    releaseLastExit: exit.lastExit,
    ...causeColumns(exit.cause),
  }));
}

/**
 * Records that supervisord gave up on a live release (FATAL: it kept dying as it started): the
 * project is down, crashed with the cause. Once: returns whether this call recorded it.
 */
export async function recordReleaseCrash(
  db: Db,
  deploymentId: string,
  crash: { lastExit: string; cause: ReleaseExitCause },
): Promise<boolean> {
  return recordDegrading(db, deploymentId, {}, (now) => ({
    releaseCrashedAt: now,
    releaseLastExit: crash.lastExit,
    ...causeColumns(crash.cause),
  }));
}

/**
 * One conditional update of a live, not yet crashed release (`where` adds the process it must
 * still be), which also marks the deployment degraded; returns whether it applied.
 */
async function recordDegrading(
  db: Db,
  deploymentId: string,
  where: Prisma.DeploymentWhereInput,
  data: (now: Date) => Prisma.DeploymentUpdateManyMutationInput,
): Promise<boolean> {
  const now = new Date();
  return db.$transaction(async (tx) => {
    const { count } = await tx.deployment.updateMany({
      where: { id: deploymentId, releaseCrashedAt: null, liveFor: { isNot: null }, ...where },
      data: data(now),
    });
    if (count === 1) await markDegradedSince(tx, deploymentId, now);
    return count === 1;
  });
}

function causeColumns(cause: ReleaseExitCause) {
  return { degradedCode: cause.code, degradedEvidence: cause.evidence };
}

// A deployment degraded earlier (the runtime watch, an earlier restart) keeps that time.
async function markDegradedSince(
  tx: Prisma.TransactionClient,
  deploymentId: string,
  at: Date,
): Promise<void> {
  await tx.deployment.updateMany({
    where: { id: deploymentId, degradedAt: null },
    data: { degradedAt: at },
  });
}
