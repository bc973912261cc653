import type { DeploymentStatus } from "@prisma/client";
import type { Db } from "./prisma.js";
import { MOVE_TRIGGER } from "./project-moves.js";
import { inTransaction, type SqlDb } from "./sql-transaction.js";

/**
 * What a worker reads of a deployment as it picks it up, in one statement: its status, its
 * project, where it is recorded to run and where its project lives, the target of the
 * project's move when one is running (never the move's own deployment's move), and whether the
 * project's source database is still frozen by a move that failed.
 */
export type DeploymentPickup = {
  status: DeploymentStatus;
  projectId: string;
  /** The project's slug. */
  project: string;
  trigger: string;
  hostId: string | null;
  projectHostId: string | null;
  movingTo: string | null;
  /**
   * The project's latest move failed with its source frozen (sourceFrozenAt) and not yet
   * unfrozen (sourceUnfrozenAt), and the project still lives on that source: its database there
   * refuses writes until the unfreeze job, queued on the source, has run.
   */
  sourceFrozen: boolean;
};

/** Where a picked-up deployment runs, as its host and its project's move say. */
export type PickupPlace =
  /** Here: its host is this one (or it has none, from before hosts). */
  | { kind: "here" }
  /** Recorded for another host: never run here (this host administers only its own). */
  | { kind: "wrong-host"; hostId: string }
  /** Its project is being moved: it waits for the move to end, queued. */
  | { kind: "move-running"; project: string; to: string }
  /** Its project's last move failed and its source is still read-only: it waits, queued. */
  | { kind: "source-frozen"; project: string }
  /** Its project lives on another host now (a move ended): forwarded there, still queued. */
  | { kind: "moved-away"; from: string; to: string };

/** A place that is not here: what the deploy job does instead of running it. */
export type ElsewherePlace = Exclude<PickupPlace, { kind: "here" }>;

/** Raw, with its Deployment and Project rows and the move by the (projectId, createdAt) index. */
export async function readDeploymentPickup(db: Db, id: string): Promise<DeploymentPickup | null> {
  const [row] = await db.$queryRaw<DeploymentPickup[]>`
    SELECT d.status, d."projectId", p.slug AS project, d.trigger, d."hostId",
      p."hostId" AS "projectHostId",
      (SELECT m."toHostId" FROM "ProjectMove" m
        WHERE m."projectId" = d."projectId" AND m.status = 'running'
          AND m."deploymentId" IS DISTINCT FROM d.id
        ORDER BY m."createdAt" DESC LIMIT 1) AS "movingTo",
      EXISTS (SELECT 1 FROM (SELECT m.status, m."fromHostId", m."sourceFrozenAt",
          m."sourceUnfrozenAt" FROM "ProjectMove" m WHERE m."projectId" = d."projectId"
          ORDER BY m."createdAt" DESC LIMIT 1) last
        WHERE last.status = 'failed' AND last."sourceFrozenAt" IS NOT NULL
          AND last."sourceUnfrozenAt" IS NULL
          AND last."fromHostId" = p."hostId") AS "sourceFrozen"
      FROM "Deployment" d JOIN "Project" p ON p.id = d."projectId"
      WHERE d.id = ${id}::uuid`;
  return row ?? null;
}

/**
 * Where a deployment picked up by `hereHostId`'s worker runs. A move's own deployment runs on
 * its target (the move's deploy stage): it never waits for its move, nor follows the project.
 * Any other waits while its project's move runs (the move's switch would replace what it
 * deploys on the source), and once the project lives on another host than the one it was
 * recorded for, while still queued, it goes there. After a move that failed, it waits until the
 * move's source, where the project stays, takes writes again (the unfreeze job, queued ahead of
 * it, may still be waiting for a worker slot or the freeze lock): run first, its preStart and
 * its app would meet a read-only database.
 */
export function pickupPlace(pickup: DeploymentPickup, hereHostId: string): PickupPlace {
  const { hostId, projectHostId } = pickup;
  if (hostId !== null && hostId !== hereHostId) return { kind: "wrong-host", hostId };
  if (pickup.trigger === MOVE_TRIGGER) return { kind: "here" };
  if (pickup.movingTo !== null)
    return { kind: "move-running", project: pickup.project, to: pickup.movingTo };
  if (pickup.sourceFrozen) return { kind: "source-frozen", project: pickup.project };
  if (
    pickup.status === "queued" &&
    hostId !== null &&
    projectHostId !== null &&
    projectHostId !== hostId
  )
    return { kind: "moved-away", from: hostId, to: projectHostId };
  return { kind: "here" };
}

/**
 * Records a queued deployment on the host its project lives on now, in one statement, with a
 * note saying so: only while it is still queued and recorded on `from` (a cancel, or another
 * worker's forward, came first otherwise). True when it was forwarded.
 */
export async function forwardDeployment(
  db: Db,
  id: string,
  from: string,
  to: string,
  note: string,
): Promise<boolean> {
  const count = await db.$executeRaw`
    UPDATE "Deployment"
       SET "hostId" = ${to}, warnings = array_append(warnings, ${note})
     WHERE id = ${id}::uuid AND status = 'queued' AND "hostId" = ${from}`;
  return count === 1;
}

/**
 * Adds `note` to a deployment's warnings unless it is there already: the record says once why
 * it waited, however often its job looked again.
 */
export async function noteOnce(db: Db, id: string, note: string): Promise<void> {
  await db.$executeRaw`
    UPDATE "Deployment" SET warnings = array_append(warnings, ${note})
     WHERE id = ${id}::uuid AND NOT (${note} = ANY (warnings))`;
}

/**
 * The running move a deployment waits for: its project's, unless the deployment is that move's
 * own (or any move's, by its trigger). Null when none runs.
 */
export async function moveWaitedFor(
  db: SqlDb,
  deploymentId: string,
): Promise<{ moveId: string; toHostId: string } | null> {
  const [row] = await inTransaction(db, (sql) =>
    sql<{ moveId: string; toHostId: string }>(
      `SELECT m.id AS "moveId", m."toHostId"
         FROM "Deployment" d JOIN "ProjectMove" m ON m."projectId" = d."projectId"
        WHERE d.id = $1::uuid AND d.trigger <> $2 AND m.status = 'running'
          AND m."deploymentId" IS DISTINCT FROM d.id
        ORDER BY m."createdAt" DESC LIMIT 1`,
      [deploymentId, MOVE_TRIGGER],
    ),
  );
  return row ?? null;
}

/**
 * The failed move whose source a deployment waits for, as the pickup reads it (sourceFrozen in
 * readDeploymentPickup): its project's latest move, failed with its source frozen and not yet
 * unfrozen, the project still living on the source. Never for a move's own deployment. Null
 * when there is none.
 */
export async function frozenSourceWaitedFor(
  db: SqlDb,
  deploymentId: string,
): Promise<{ moveId: string; fromHostId: string } | null> {
  const [row] = await inTransaction(db, (sql) =>
    sql<{ moveId: string; fromHostId: string }>(
      `SELECT last.id AS "moveId", last."fromHostId"
         FROM "Deployment" d JOIN "Project" p ON p.id = d."projectId"
         CROSS JOIN LATERAL (SELECT m.id, m.status, m."fromHostId", m."sourceFrozenAt",
             m."sourceUnfrozenAt" FROM "ProjectMove" m WHERE m."projectId" = d."projectId"
             ORDER BY m."createdAt" DESC LIMIT 1) last
        WHERE d.id = $1::uuid AND d.trigger <> $2 AND last.status = 'failed'
          AND last."sourceFrozenAt" IS NOT NULL AND last."sourceUnfrozenAt" IS NULL
          AND last."fromHostId" = p."hostId"`,
      [deploymentId, MOVE_TRIGGER],
    ),
  );
  return row ?? null;
}
