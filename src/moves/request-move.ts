import { UsageError } from "../errors.js";
import type { HostQueues } from "../queue/host-queues.js";
import { enqueueMoveStage } from "../queue/move-job.js";
import { describeHostState, getHost, incomingMoves } from "../store/hosts.js";
import type { Db } from "../store/prisma.js";
import { failProjectMove, latestProjectMove } from "../store/project-moves.js";
import { MOVE_STAGES, UNFREEZE_STAGE } from "./move-stages.js";

/** A move refused before anything was recorded: one line, exit 2. */
export class MoveRefusedError extends UsageError {
  override name = "MoveRefusedError";
}

export type MoveDepsForRequest = { db: Db; queues: HostQueues; downAfterMs: number };

/**
 * Records a move of `project` to host `to` and queues its first stage on the project's host.
 * Refused (nothing recorded) unless `confirm` is the slug, the project is placed and has a live
 * release and a database, `to` is another host that is up (not draining, not down), and no
 * other move of the project is running.
 */
export async function requestMove(
  deps: MoveDepsForRequest,
  request: { project: string; to: string; confirm: string | undefined; requestedBy: string | null },
): Promise<{ moveId: string; from: string; to: string }> {
  const { db } = deps;
  const project = await findProject(db, request.project);
  confirmed(
    request.project,
    request.confirm,
    "moves the project's database and traffic to another host",
  );
  if (!project.hostId)
    throw new MoveRefusedError(`project ${project.slug} is not placed on a host yet`);
  if (project.hostId === request.to)
    throw new MoveRefusedError(`project ${project.slug} already lives on host ${request.to}`);
  if (!project.liveDeploymentId)
    throw new MoveRefusedError(
      `project ${project.slug} has no live release: a move deploys the live one's commit on the target; deploy it first`,
    );
  if (!project.database?.provisionedAt)
    throw new MoveRefusedError(`project ${project.slug} has no database yet: deploy it first`);
  for (const id of [request.to, project.hostId]) {
    const host = await getHost(db, id, deps.downAfterMs);
    if (!host) throw new MoveRefusedError(`no host ${id} (see coduck-worker hosts list)`);
    if (host.state === "down" || (id === request.to && host.state === "draining"))
      throw new MoveRefusedError(
        `host ${id} is ${describeHostState(host)}: a move needs both hosts up${id === request.to ? " and the target not draining" : ""}`,
      );
    // The target's room counts the projects on their way to it (they count on their sources).
    const incoming = id === request.to ? ((await incomingMoves(db)).get(id) ?? 0) : 0;
    if (id === request.to && host.projects + incoming >= host.maxProjects)
      throw new MoveRefusedError(
        `host ${id} is full (HOST_MAX_PROJECTS ${host.maxProjects}): ${host.projects} placed there, ${incoming} moving there`,
      );
  }
  const running = await latestProjectMove(db, project.id);
  if (running?.status === "running")
    throw new MoveRefusedError(
      `project ${project.slug} is being moved already (move ${running.id}, stage ${running.stage})`,
    );
  // A queued cleanup drops the source's copy by name when its host's queue reaches it: moving
  // back to that host first would have it drop the database the move back restores into.
  if (running?.cleanupStatus === "queued")
    throw new MoveRefusedError(
      `the cleanup of move ${running.id} is still queued on ${running.fromHostId}: wait until it has ended (projects show ${project.slug})`,
    );
  const first = MOVE_STAGES[0]!;
  const move = await db.projectMove
    .create({
      data: {
        projectId: project.id,
        fromHostId: project.hostId,
        toHostId: request.to,
        stage: first.name,
        fromDatabase: project.database.databaseName,
        fromRole: project.database.roleName,
        requestedBy: request.requestedBy,
        log: [`${new Date().toISOString()} requested: ${project.hostId} -> ${request.to}`],
      },
      select: { id: true },
    })
    .catch((error: unknown) => {
      // The partial unique index: a move of the project recorded in the meantime.
      if ((error as { code?: string }).code === "P2002")
        throw new MoveRefusedError(`project ${project.slug} is being moved already`);
      throw error;
    });
  await enqueueMoveStage(deps.queues, project.hostId, move.id, first.name);
  return { moveId: move.id, from: project.hostId, to: request.to };
}

/**
 * Queues the confirmed cleanup of the project's last move on its source host: the source's
 * copy of the database and its role are dropped there. Refused unless that move is done.
 */
export async function requestMoveCleanup(
  deps: MoveDepsForRequest,
  request: { project: string; confirm: string | undefined },
): Promise<{ moveId: string; on: string; database: string }> {
  const project = await findProject(deps.db, request.project);
  confirmed(
    request.project,
    request.confirm,
    "drops the source host's copy of the project's database",
  );
  const move = await latestProjectMove(deps.db, project.id);
  if (!move) throw new MoveRefusedError(`project ${project.slug} was never moved`);
  if (move.status !== "moved")
    throw new MoveRefusedError(
      `the last move of ${project.slug} (${move.id}) is ${move.status}${move.status === "failed" ? ` at ${move.stage}` : ""}, not moved: nothing to clean up`,
    );
  if (move.cleanupStatus === "done")
    throw new MoveRefusedError(`the source database of move ${move.id} was dropped already`);
  if (project.hostId === move.fromHostId)
    throw new MoveRefusedError(
      `project ${project.slug} lives on ${move.fromHostId} again: its database stays`,
    );
  await deps.db.projectMove.update({
    where: { id: move.id },
    data: { cleanupStatus: "queued", cleanupError: null },
  });
  await enqueueMoveStage(deps.queues, move.fromHostId, move.id, "cleanup", String(Date.now()));
  return { moveId: move.id, on: move.fromHostId, database: move.fromDatabase };
}

/**
 * Ends the project's running move as failed, by hand: for a move whose stage can no longer run
 * (its host gone for good, a stage stuck), which would otherwise stay running for ever, its
 * source frozen, its deploys held and every later move refused. Its unfreeze is queued on the
 * source, as for any failed move: the source takes writes again while the project lives there
 * (after the switch, the source's copy stays frozen and the project serves from the target). A
 * stage still running somewhere ends without effect: each checks that the move runs, and the
 * switch needs it running. Refused unless `confirm` is the slug and a move of it runs.
 */
export async function requestMoveAbort(
  deps: MoveDepsForRequest,
  request: { project: string; confirm: string | undefined; requestedBy: string | null },
): Promise<{ moveId: string; stage: string; unfreezeOn: string }> {
  const project = await findProject(deps.db, request.project);
  confirmed(
    request.project,
    request.confirm,
    "ends the project's running move as failed (the source takes writes again)",
  );
  const move = await latestProjectMove(deps.db, project.id);
  if (move?.status !== "running")
    throw new MoveRefusedError(
      move
        ? `the last move of ${project.slug} (${move.id}) is ${move.status}, not running: nothing to abort`
        : `project ${project.slug} was never moved`,
    );
  const by = request.requestedBy ? ` by ${request.requestedBy}` : "";
  if (!(await failProjectMove(deps.db, move.id, move.stage, `aborted${by} at ${move.stage}`)))
    throw new MoveRefusedError(`move ${move.id} of ${project.slug} ended meanwhile`);
  await enqueueMoveStage(deps.queues, move.fromHostId, move.id, UNFREEZE_STAGE.name);
  return { moveId: move.id, stage: move.stage, unfreezeOn: move.fromHostId };
}

async function findProject(db: Db, slug: string) {
  const project = await db.project.findUnique({
    where: { slug },
    select: {
      id: true,
      slug: true,
      hostId: true,
      liveDeploymentId: true,
      database: { select: { databaseName: true, roleName: true, provisionedAt: true } },
    },
  });
  if (!project) throw new MoveRefusedError(`no project ${JSON.stringify(slug)}`);
  return project;
}

function confirmed(slug: string, confirm: string | undefined, what: string): void {
  if (confirm !== slug)
    throw new MoveRefusedError(
      `refused: this ${what} and must be confirmed with its slug (--confirm ${slug}); nothing was changed`,
    );
}
