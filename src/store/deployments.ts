import { randomUUID } from "node:crypto";
import type { DeploymentStatus } from "@prisma/client";
import type { SandboxMode } from "../config.js";
import { ACTIVE_STATUSES } from "./deployment-statuses.js";
import { type PlacementOptions, projectHostIn } from "./hosts.js";
import type { Db } from "./prisma.js";
import { MOVE_TRIGGER } from "./project-moves.js";
import { inTransaction, type SqlDb } from "./sql-transaction.js";
import { type Attempt, fenced } from "./stale-attempt.js";

export type NewDeployment = {
  project: string;
  repoUrl: string;
  ref: string;
  trigger: string;
  steps: readonly string[];
  /**
   * Where it runs: `hostId` when given (a move's deploy on its target), else its project's host,
   * placed now by `placement` if the project has none yet (its first deploy). Without either,
   * a project with no host records a deployment with no host (tests that never queue it).
   */
  hostId?: string;
  placement?: PlacementOptions;
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
 * Records a queued deployment (and its project on first sight) with every step pending, in one
 * transaction. The project's older deployments still waiting in the queue are superseded: only
 * the newest push is worth deploying. (A deploy already running is left alone, and so is a
 * move's deployment, which supersedes nothing either.)
 * Plain SQL, so the CLI can record a deploy on a bare pg pool without loading Prisma (SqlDb);
 * timestamps are written as Prisma writes them: UTC in a timestamp without time zone.
 */
export async function createDeployment(
  db: SqlDb,
  request: NewDeployment,
): Promise<{ id: string; superseded: string[]; hostId: string | null }> {
  const id = randomUUID();
  const now = new Date().toISOString();
  const lineage = request.lineage ?? {};
  return inTransaction(db, async (sql) => {
    // A deploy from another repository (a fork, a one-off) leaves the registered one alone.
    await sql(
      `INSERT INTO "Project" (id, slug, "repoUrl", "createdAt", "updatedAt")
       VALUES ($1::uuid, $2, $3, $4::timestamp(3), $4::timestamp(3))
       ON CONFLICT (slug) DO NOTHING`,
      [randomUUID(), request.project, request.repoUrl, now],
    );
    // One record at a time per project, so a concurrent push's deployment is seen, and superseded.
    const [project] = await sql<{ id: string; slug: string; hostId: string | null }>(
      `SELECT id, slug, "hostId" FROM "Project" WHERE slug = $1 FOR UPDATE`,
      [request.project],
    );
    const hostId =
      request.hostId ??
      (request.placement ? await projectHostIn(sql, project!, request.placement) : project!.hostId);
    // Queued once written, after the project's lock (as Prisma's @default(now()) had it): a
    // wait for a concurrent push's transaction is not the queue's.
    const queuedAt = new Date().toISOString();
    await sql(
      `INSERT INTO "Deployment" (id, "projectId", "repoUrl", ref, trigger, "queuedAt",
         "requestedBy", "retryOfId", "retryNumber", "rollbackToId", "fromStep", "hostId")
       VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::timestamp(3),
         $7, $8::uuid, COALESCE($9::int, 0), $10::uuid, $11, $12)`,
      [
        id,
        project!.id,
        request.repoUrl,
        request.ref,
        request.trigger,
        queuedAt,
        lineage.requestedBy ?? null,
        lineage.retryOfId ?? null,
        lineage.retryNumber ?? null,
        lineage.rollbackToId ?? null,
        lineage.fromStep ?? null,
        hostId,
      ],
    );
    // Positions are the list's own indexes (numbers, never input); names are parameters.
    const steps = request.steps.map((_, i) => `(gen_random_uuid(), $1::uuid, $${i + 2}, ${i})`);
    if (steps.length > 0) {
      await sql(
        `INSERT INTO "DeploymentStep" (id, "deploymentId", name, position)
         VALUES ${steps.join(", ")}`,
        [id, ...request.steps],
      );
    }
    // A move's deployment (the live commit again, on the target) and a push are not one newer
    // than the other: neither supersedes the other. The push waits for the move, then deploys
    // (jobs/deploy.ts); a superseded move's deployment would fail the move.
    if (request.trigger === MOVE_TRIGGER) return { id, superseded: [], hostId };
    const superseded = await sql<{ id: string }>(
      `WITH older AS (
         UPDATE "Deployment" SET status = 'superseded', "supersededById" = $1::uuid,
           "finishedAt" = $3::timestamp(3)
         WHERE "projectId" = $2::uuid AND status = 'queued' AND id <> $1::uuid
           AND trigger <> $5
         RETURNING id
       ), skipped AS (
         UPDATE "DeploymentStep" SET status = 'skipped', "skipReason" = $4,
           "finishedAt" = $3::timestamp(3)
         WHERE "deploymentId" IN (SELECT id FROM older) AND status = 'pending'
       )
       SELECT id FROM older`,
      [id, project!.id, now, `not run: superseded by ${id}`, MOVE_TRIGGER],
    );
    return { id, superseded: superseded.map((row) => row.id), hostId };
  });
}

/** The host a deployment runs on (null: none recorded, a deployment from before hosts). */
export async function deploymentHost(db: SqlDb, id: string): Promise<string | null> {
  const [row] = await inTransaction(db, (sql) =>
    sql<{ hostId: string | null }>(`SELECT "hostId" FROM "Deployment" WHERE id = $1::uuid`, [id]),
  );
  return row?.hostId ?? null;
}

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

/** What a worker needs of a deployment it claimed, and of its project. */
export type ClaimedDeployment = {
  id: string;
  attempt: number;
  projectId: string;
  repoUrl: string;
  ref: string;
  retryOfId: string | null;
  rollbackToId: string | null;
  fromStep: string | null;
  /** appUid: null until the project's first deploy allocates it (store/project-app-uid.ts). */
  project: { slug: string; appUid: number | null };
};

/**
 * Marks a deployment running for a new attempt, if its status is one of `from` (by default any
 * active one). Returns null when it has already ended (finished, cancelled or superseded): such
 * a job has nothing left to do. One statement: it is on the way from the queue to the first step.
 */
export async function claimDeployment(
  db: Db,
  id: string,
  from: readonly DeploymentStatus[] = ACTIVE_STATUSES,
): Promise<ClaimedDeployment | null> {
  const rows = await db.$queryRaw<
    (Omit<ClaimedDeployment, "project"> & { slug: string; appUid: number | null })[]
  >`
    UPDATE "Deployment" AS d SET status = 'running', attempt = d.attempt + 1,
      "startedAt" = ${new Date().toISOString()}::timestamp(3)
    FROM "Project" AS p
    WHERE d.id = ${id}::uuid AND p.id = d."projectId" AND d.status::text = ANY(${[...from]}::text[])
    RETURNING d.id, d.attempt, d."projectId", d."repoUrl", d.ref, d."retryOfId", d."rollbackToId",
      d."fromStep", p.slug, p."appUid"`;
  const [row] = rows;
  if (!row) return null;
  const { slug, appUid, ...deployment } = row;
  return { ...deployment, project: { slug, appUid } };
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
  // Raw: written before the first step, where each ORM query's compile shows (see claimDeployment).
  await db.$executeRaw`UPDATE "Deployment" SET sandbox = ${sandbox} WHERE id = ${id}::uuid`;
}

export async function addWarning(db: Db, id: string, warning: string): Promise<void> {
  await db.deployment.update({ where: { id }, data: { warnings: { push: warning } } });
}

export async function recordDatabaseSize(db: Db, id: string, bytes: number): Promise<void> {
  await db.deployment.update({ where: { id }, data: { databaseSizeBytes: BigInt(bytes) } });
}
