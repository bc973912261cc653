// Each project's live release as `coduck-worker releases` sees it, and the two changes it makes
// to one: a restart's new process, and taking the project off the air.
import type { Db } from "./prisma.js";

const liveFields = {
  id: true,
  releaseProgram: true,
  releasePid: true,
  releaseStartTicks: true,
  releaseLog: true,
  releasePort: true,
  releaseUrl: true,
  releaseStartedAt: true,
  releaseRestarts: true,
  releaseLastExit: true,
  releaseLastRestartAt: true,
  releaseCrashedAt: true,
} as const;

/** Every project that has a live deployment (only `slug`'s when given), by slug. */
export async function listLiveReleases(db: Db, slug?: string) {
  const projects = await db.project.findMany({
    where: { liveDeploymentId: { not: null }, ...(slug !== undefined && { slug }) },
    orderBy: { slug: "asc" },
    select: { id: true, slug: true, liveDeployment: { select: liveFields } },
  });
  return projects.flatMap(({ liveDeployment, ...project }) =>
    liveDeployment ? [{ project, release: liveDeployment }] : [],
  );
}

/** One project with its live release (null when nothing is live); null when there is no such project. */
export async function projectLiveRelease(db: Db, slug: string) {
  const project = await db.project.findUnique({
    where: { slug },
    select: { id: true, slug: true, liveDeployment: { select: liveFields } },
  });
  if (!project) return null;
  const { liveDeployment, ...rest } = project;
  return { project: rest, release: liveDeployment };
}

/** A live deployment's release fields, as the functions above select them. */
export type LiveRelease = NonNullable<
  NonNullable<Awaited<ReturnType<typeof projectLiveRelease>>>["release"]
>;

/**
 * The project has nothing live any more, provided `deploymentId` still was its live one: a
 * deploy that went live meanwhile is left live. True when this call took it off.
 */
export async function clearLiveDeployment(
  db: Db,
  projectId: string,
  deploymentId: string,
): Promise<boolean> {
  const { count } = await db.project.updateMany({
    where: { id: projectId, liveDeploymentId: deploymentId },
    data: { liveDeploymentId: null },
  });
  return count === 1;
}

/**
 * Runs an operator's restart of a release (`restart` stops its process and starts a new one,
 * resolving with it) and records the new process, with the deployment's row locked throughout:
 * the supervision watch counts a new pid as a crash restart only while the row still holds the
 * old one, and its update waits for the lock, so it finds the new pid recorded and counts
 * nothing. The restart count stays: an operator's restart is not a crash.
 */
export async function restartRecorded(
  db: Db,
  deploymentId: string,
  restart: () => Promise<{ pid: number; startTicks: bigint | null }>,
  timeoutMs: number,
): Promise<{ pid: number }> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT 1 FROM "Deployment" WHERE id = ${deploymentId}::uuid FOR UPDATE`;
      const started = await restart();
      await tx.deployment.update({
        where: { id: deploymentId },
        data: {
          releasePid: started.pid,
          releaseStartTicks: started.startTicks,
          releaseStartedAt: new Date(),
        },
      });
      return { pid: started.pid };
    },
    { timeout: timeoutMs },
  );
}
