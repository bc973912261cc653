import type { Logger } from "../logger.js";
import type { HostQueues } from "../queue/host-queues.js";
import { isHeldJobState } from "../queue/job-states.js";
import { enqueueMoveStage, type MoveJobStage } from "../queue/move-job.js";
import type { Db } from "../store/prisma.js";
import { MOVE_STAGES, stageHost } from "./move-stages.js";

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
export async function reconcileMoves(
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
