import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { withAdminSession } from "../provisioning/admin-session.js";
import type { HostQueues } from "../queue/host-queues.js";
import { isHeldJobState } from "../queue/job-states.js";
import { enqueueMoveStage, type MoveJobStage } from "../queue/move-job.js";
import type { Db } from "../store/prisma.js";
import { MOVE_STAGES, stageHost, UNFREEZE_STAGE } from "./move-stages.js";

export type MoveReconcileDeps = {
  db: Db;
  queues: HostQueues;
  config: { host: { id: string }; adminDatabaseUrl: Config["adminDatabaseUrl"] };
  logger: Logger;
};

/** What a reconcile queued again: running moves' stages, and failed moves' unfreezes. */
export type ReconciledMoves = { stages: string[]; unfreezes: string[] };

/** Both halves, each on its own: a failure of one leaves the other done. */
export async function reconcileMoves(deps: MoveReconcileDeps): Promise<ReconciledMoves> {
  const { db, queues, logger } = deps;
  const hostId = deps.config.host.id;
  const stages = await reconcileMoveStages(db, queues, hostId, logger);
  const unfreezes = await reconcileUnfreezes(deps);
  return { stages, unfreezes };
}

/**
 * Makes Redis agree with Postgres for moves, as reconcile does for deploys: a move recorded
 * running at a stage of this host whose job the queue no longer holds (Redis restarted without
 * persistence, the job removed by hand, or failed without the move being failed: the worker's
 * database gone for a moment when the stage tried to record its failure, a job stalled twice)
 * has its stage queued again, under its own job id. Nothing else would: the move would stay
 * running for ever, its source frozen read-only, every later move of the project refused and
 * its deploys waiting for it. Not while the stage before it still runs (it queues this one
 * itself once it has recorded its own end: the deploy stage's switch records `routes` before its
 * deployment has ended). Returns the moves whose stage was queued again.
 */
export async function reconcileMoveStages(
  db: Db,
  queues: HostQueues,
  hostId: string,
  logger: Logger,
): Promise<string[]> {
  const running = await db.projectMove.findMany({
    where: { status: "running", OR: [{ fromHostId: hostId }, { toHostId: hostId }] },
    select: { id: true, stage: true, fromHostId: true, toHostId: true },
  });
  const order = MOVE_STAGES.map((s) => s.name);
  const requeued: string[] = [];
  for (const move of running) {
    const at = order.indexOf(move.stage as MoveJobStage);
    if (at === -1) continue;
    const stage = order[at]!;
    if (stageHost(move, stage) !== hostId) continue;
    const queue = queues.deploy(hostId);
    const jobId = `move-${move.id}-${stage}`;
    const state = await queue.getJobState(jobId);
    if (isHeldJobState(state)) continue;
    const before = order[at - 1];
    if (before) {
      const previous = await queues
        .deploy(stageHost(move, before))
        .getJobState(`move-${move.id}-${before}`);
      if (isHeldJobState(previous)) continue;
    }
    // A finished job of the same id would make the new add a no-op.
    if (state !== "unknown") await queue.remove(jobId).catch(() => 0);
    await enqueueMoveStage(queues, hostId, move.id, stage);
    requeued.push(move.id);
  }
  if (requeued.length > 0)
    logger.warn({ requeued }, "reconciled move stages the queue had lost or ended unrecorded");
  return requeued;
}

/**
 * A failed move whose source is this host and still frozen (in its cluster, or by the record:
 * frozen and not recorded unfrozen), with no unfreeze job held here,
 * has its unfreeze queued again: one whose worker died between failing the move
 * and queueing it, or whose 60 tries all failed (the source's Postgres down longer than ten
 * minutes), would otherwise leave the project's database read-only for ever. Only the project's
 * last move, while the project lives on this host (as the unfreeze itself checks), and only a
 * role this cluster has frozen (one query for all of them): an unfreeze ends the role's sessions,
 * which is never done to a database that takes writes already.
 */
async function reconcileUnfreezes(deps: MoveReconcileDeps): Promise<string[]> {
  const { db, queues, logger } = deps;
  const hostId = deps.config.host.id;
  // Each project's last move, for the projects with a failed move from this host.
  const lastMoves = await db.$queryRaw<
    {
      id: string;
      fromRole: string;
      status: string;
      fromHostId: string;
      hostId: string | null;
      unfreezeOwed: boolean;
    }[]
  >`
    SELECT DISTINCT ON (m."projectId") m.id, m."fromRole", m.status, m."fromHostId", p."hostId",
           (m."sourceFrozenAt" IS NOT NULL AND m."sourceUnfrozenAt" IS NULL) AS "unfreezeOwed"
      FROM "ProjectMove" m JOIN "Project" p ON p.id = m."projectId"
     WHERE m."projectId" IN (
       SELECT "projectId" FROM "ProjectMove" WHERE status = 'failed' AND "fromHostId" = ${hostId})
     ORDER BY m."projectId", m."createdAt" DESC`;
  const last = lastMoves.filter(
    (m) => m.status === "failed" && m.fromHostId === hostId && m.hostId === hostId,
  );
  if (last.length === 0) return [];
  const frozen = await withAdminSession(deps.config.adminDatabaseUrl, undefined, async (admin) => {
    const { rows } = await admin.query<{ rolname: string }>(
      `SELECT r.rolname FROM pg_catalog.pg_db_role_setting s
         JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) s.setrole
        WHERE s.setdatabase OPERATOR(pg_catalog.=) 0
          AND r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
          AND 'default_transaction_read_only=on' OPERATOR(pg_catalog.=) ANY (s.setconfig)`,
      [last.map((m) => m.fromRole)],
    );
    return new Set(rows.map((row) => row.rolname));
  });
  const queue = queues.deploy(hostId);
  const queued: string[] = [];
  for (const move of last) {
    // Frozen in the cluster, or by the record (the pushes held after the failed move wait on
    // sourceUnfrozenAt even when the freeze itself never took: an ALTER ROLE that failed).
    if (!frozen.has(move.fromRole) && !move.unfreezeOwed) continue;
    const jobId = `move-${move.id}-${UNFREEZE_STAGE.name}`;
    const state = await queue.getJobState(jobId);
    // A completed one too: the role is frozen again (a backup stage that had checked the move
    // before it failed froze the source after the unfreeze ran), and this move is still the last.
    if (isHeldJobState(state)) continue;
    if (state !== "unknown") await queue.remove(jobId).catch(() => 0);
    await enqueueMoveStage(queues, hostId, move.id, UNFREEZE_STAGE.name);
    queued.push(move.id);
  }
  if (queued.length > 0)
    logger.warn({ unfreezes: queued }, "queued again the unfreeze of failed moves' frozen sources");
  return queued;
}
