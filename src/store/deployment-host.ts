import type { DeploymentStatus } from "@prisma/client";
import type { Db } from "./prisma.js";
import { MOVE_TRIGGER } from "./project-moves.js";
import { inTransaction, type SqlDb } from "./sql-transaction.js";

/**
 * What a worker reads of a deployment as it picks it up, in one statement: its status, its
 * project, where it is recorded to run and where its project lives, and the target of the
 * project's move when one is running (never the move's own deployment's move).
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
};

/** Where a picked-up deployment runs, as its host and its project's move say. */
export type PickupPlace =
  /** Here: its host is this one (or it has none, from before hosts). */
  | { kind: "here" }
  /** Recorded for another host: never run here (this host administers only its own). */
  | { kind: "wrong-host"; hostId: string }
  /** Its project is being moved: it waits for the move to end, queued. */
  | { kind: "move-running"; project: string; to: string }
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
        ORDER BY m."createdAt" DESC LIMIT 1) AS "movingTo"
      FROM "Deployment" d JOIN "Project" p ON p.id = d."projectId"
      WHERE d.id = ${id}::uuid`;
  return row ?? null;
}

/**
 * Where a deployment picked up by `hereHostId`'s worker runs. A move's own deployment runs on
 * its target (the move's deploy stage): it never waits for its move, nor follows the project.
 * Any other waits while its project's move runs (the move's switch would replace what it
 * deploys on the source), and once the project lives on another host than the one it was
 * recorded for, while still queued, it goes there.
 */
export function pickupPlace(pickup: DeploymentPickup, hereHostId: string): PickupPlace {
  const { hostId, projectHostId } = pickup;
  if (hostId !== null && hostId !== hereHostId) return { kind: "wrong-host", hostId };
  if (pickup.trigger === MOVE_TRIGGER) return { kind: "here" };
  if (pickup.movingTo !== null)
    return { kind: "move-running", project: pickup.project, to: pickup.movingTo };
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
