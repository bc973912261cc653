import type { DeploymentStatus } from "@prisma/client";
import type { SandboxMode } from "../config.js";
import { ACTIVE_STATUSES } from "./deployment-statuses.js";
import type { Db } from "./prisma.js";
import { type Attempt, fenced } from "./stale-attempt.js";

export type NewDeployment = {
  project: string;
  repoUrl: string;
  ref: string;
  trigger: string;
  steps: readonly string[];
  /** Who asked, and what an earlier deployment it retries or rolls back to (see retry, rollback). */
  lineage?: {
    requestedBy?: string | null;
    retryOfId?: string;
    retryNumber?: number;
    rollbackToId?: string;
    fromStep?: string | null;
  };
};

/**
 * Records a queued deployment (and its project on first sight) with every step pending. The
 * project's older deployments still waiting in the queue are superseded: only the newest push
 * is worth deploying. (A deploy already running is left alone.)
 */
export async function createDeployment(
  db: Db,
  request: NewDeployment,
): Promise<{ id: string; superseded: string[] }> {
  const project = await db.project.upsert({
    where: { slug: request.project },
    create: { slug: request.project, repoUrl: request.repoUrl },
    // A deploy from another repository (a fork, a one-off) leaves the registered one alone.
    update: {},
    select: { id: true },
  });
  return db.$transaction(
    async (tx) => {
      // One record at a time per project, so a concurrent push's deployment is seen, and superseded.
      await tx.$executeRaw`SELECT 1 FROM "Project" WHERE id = ${project.id}::uuid FOR UPDATE`;
      const { id } = await tx.deployment.create({
        data: {
          projectId: project.id,
          repoUrl: request.repoUrl,
          ref: request.ref,
          trigger: request.trigger,
          ...request.lineage,
          steps: { create: request.steps.map((name, position) => ({ name, position })) },
        },
        select: { id: true },
      });
      const older = await tx.deployment.updateManyAndReturn({
        where: { projectId: project.id, status: "queued", id: { not: id } },
        data: { status: "superseded", supersededById: id, finishedAt: new Date() },
        select: { id: true },
      });
      const superseded = older.map((d) => d.id);
      if (superseded.length > 0) {
        await tx.deploymentStep.updateMany({
          where: { deploymentId: { in: superseded }, status: "pending" },
          data: {
            status: "skipped",
            skipReason: `not run: superseded by ${id}`,
            finishedAt: new Date(),
          },
        });
      }
      return { id, superseded };
    },
    // A burst of pushes (hundreds of webhooks at once) queues for connections and project locks.
    { maxWait: TRANSACTION_WAIT_MS, timeout: TRANSACTION_WAIT_MS },
  );
}

const TRANSACTION_WAIT_MS = 15_000;

/**
 * `coduck-worker cancel`: a queued deployment is cancelled at once; a running one is asked to
 * stop, which its worker does within a second. Returns what happened, or the status of a
 * deployment that had already ended.
 */
export async function requestCancel(db: Db, id: string) {
  const queued = await db.deployment.updateMany({
    where: { id, status: "queued" },
    data: { status: "cancelled", errorCode: "CANCELLED", finishedAt: new Date() },
  });
  if (queued.count > 0) {
    await db.deploymentStep.updateMany({
      where: { deploymentId: id, status: "pending" },
      data: {
        status: "skipped",
        skipReason: "not run: the deploy was cancelled",
        finishedAt: new Date(),
      },
    });
    return { outcome: "cancelled" as const };
  }
  const running = await db.deployment.updateMany({
    where: { id, status: "running" },
    data: { cancelRequestedAt: new Date() },
  });
  if (running.count > 0) return { outcome: "stopping" as const };
  const found = await db.deployment.findUnique({ where: { id }, select: { status: true } });
  return { outcome: "ended" as const, status: found?.status ?? null };
}

/**
 * Marks a deployment running for a new attempt. Returns null when it has already ended
 * (finished, cancelled or superseded): such a job has nothing left to do.
 */
export async function claimDeployment(db: Db, id: string) {
  const claimed = await db.deployment.updateManyAndReturn({
    where: { id, status: { in: [...ACTIVE_STATUSES] } },
    data: { status: "running", startedAt: new Date(), attempt: { increment: 1 } },
    include: { project: { select: { slug: true } } },
  });
  return claimed[0] ?? null;
}

export type DeploymentEnd = {
  status: Extract<DeploymentStatus, "succeeded" | "failed" | "cancelled">;
  errorCode?: string | null;
  hint?: string | null;
};

/** Records how an attempt ended; refused (StaleAttemptError) once a newer attempt has claimed it. */
export async function finishDeployment(
  db: Db,
  attempt: Attempt,
  end: DeploymentEnd,
): Promise<void> {
  const { count } = await db.deployment.updateMany({
    where: { id: attempt.deploymentId, attempt: attempt.attempt, status: "running" },
    data: {
      status: end.status,
      errorCode: end.errorCode ?? null,
      hint: end.hint ?? null,
      finishedAt: new Date(),
    },
  });
  fenced(count, attempt, `recording the deploy ${end.status}`);
}

/** Puts an interrupted deployment back in the queue's hands: it runs again from the start. */
export async function requeueDeployment(db: Db, attempt: Attempt): Promise<void> {
  const { count } = await db.deployment.updateMany({
    where: { id: attempt.deploymentId, attempt: attempt.attempt, status: "running" },
    data: { status: "queued" },
  });
  fenced(count, attempt, "handing the deploy back");
}

export async function recordCommit(db: Db, id: string, commitSha: string): Promise<void> {
  await db.deployment.update({ where: { id }, data: { commitSha } });
}

/** How this deployment's app commands run: "bwrap", or "off" when SANDBOX=off (shown on the record). */
export async function recordSandbox(db: Db, id: string, sandbox: SandboxMode): Promise<void> {
  await db.deployment.update({ where: { id }, data: { sandbox } });
}

export async function addWarning(db: Db, id: string, warning: string): Promise<void> {
  await db.deployment.update({ where: { id }, data: { warnings: { push: warning } } });
}

export async function recordDatabaseSize(db: Db, id: string, bytes: number): Promise<void> {
  await db.deployment.update({ where: { id }, data: { databaseSizeBytes: BigInt(bytes) } });
}
