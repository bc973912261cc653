import type { Db } from "./prisma.js";

/** A deployment recorded by a move, run on the target: its start step is the move's switch. */
export const MOVE_TRIGGER = "move";

export type ProjectMoveRecord = NonNullable<Awaited<ReturnType<typeof getProjectMove>>>;

/** A move with its project's slug; null when there is none. */
export async function getProjectMove(db: Db, moveId: string) {
  const move = await db.projectMove.findUnique({ where: { id: moveId } });
  if (!move) return null;
  const project = await db.project.findUnique({
    where: { id: move.projectId },
    select: { slug: true, hostId: true },
  });
  return project ? { ...move, project: project.slug, projectHostId: project.hostId } : null;
}

/** The project's newest move (running, moved or failed); null when it was never moved. */
export async function latestProjectMove(db: Db, projectId: string) {
  return db.projectMove.findFirst({ where: { projectId }, orderBy: { createdAt: "desc" } });
}

/**
 * Moves to `toHostId` past their backup and not yet ended (`exceptMoveId` aside): each has its
 * source frozen read-only until its restore, deploy and routes are done on that target.
 */
export async function movesInFlightTo(
  db: Db,
  toHostId: string,
  exceptMoveId: string,
): Promise<number> {
  return db.projectMove.count({
    where: { toHostId, status: "running", backupId: { not: null }, id: { not: exceptMoveId } },
  });
}

/** Records a stage's progress: what it did (a log line), and the next stage or ids it made. */
export async function noteMoveProgress(
  db: Db,
  moveId: string,
  line: string,
  data: {
    stage?: string;
    backupId?: string;
    restoreId?: string;
    deploymentId?: string;
    status?: "moved";
    switchedAt?: Date;
  } = {},
): Promise<void> {
  await db.projectMove.update({
    where: { id: moveId },
    data: {
      ...data,
      log: { push: `${new Date().toISOString()} ${line}` },
      ...(data.status === "moved" && { finishedAt: new Date() }),
    },
  });
}

/**
 * Fails a running move at its stage with why; false when it was no longer running (failed or
 * moved already). Nothing else changes: Project.hostId and traffic stay where they were.
 */
export async function failProjectMove(
  db: Db,
  moveId: string,
  stage: string,
  error: string,
): Promise<boolean> {
  const { count } = await db.projectMove.updateMany({
    where: { id: moveId, status: "running" },
    data: {
      status: "failed",
      stage,
      error,
      finishedAt: new Date(),
      log: { push: `${new Date().toISOString()} ${stage} failed: ${error}` },
    },
  });
  return count === 1;
}

/**
 * The switch, in one transaction: the deployment the move started on the target becomes the
 * project's live release and the target its host — only while the move is still running at
 * its deploy stage and the project still lives on the move's source. Returns the release it
 * replaced (it runs on the source, which stops it), or "refused" when the move was not in a
 * state to switch (nothing changed).
 */
export async function switchProjectHost(db: Db, deploymentId: string) {
  return db.$transaction(async (tx) => {
    const move = await tx.projectMove.findFirst({
      where: { deploymentId, status: "running", stage: "deploy" },
    });
    if (!move) return "refused" as const;
    const project = await tx.project.findUniqueOrThrow({
      where: { id: move.projectId },
      select: { hostId: true, liveDeploymentId: true },
    });
    if (project.hostId !== move.fromHostId) return "refused" as const;
    await tx.project.update({
      where: { id: move.projectId },
      data: { hostId: move.toHostId, liveDeploymentId: deploymentId },
    });
    await tx.projectMove.update({
      where: { id: move.id },
      data: {
        stage: "routes",
        switchedAt: new Date(),
        log: {
          push: `${new Date().toISOString()} switched: ${move.toHostId} serves deployment ${deploymentId} (was ${project.liveDeploymentId ?? "none"} on ${move.fromHostId})`,
        },
      },
    });
    return { moveId: move.id, previous: project.liveDeploymentId };
  });
}
