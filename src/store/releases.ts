import type { Db } from "./prisma.js";

export type ReleaseProcess = {
  port: number;
  pid: number;
  /** With the pid, names the process for good: a worker taking over never stops a stranger. */
  startTicks: bigint | null;
  logFile: string;
  /** The supervisord program that runs it. */
  program: string;
};

/** What stopping a release needs: its program, or (started before supervision) its process group. */
export type StoppableRelease = {
  id: string;
  releaseProgram: string | null;
  releasePid: number | null;
  releaseStartTicks: bigint | null;
  releaseLog: string | null;
};

const stoppable = {
  id: true,
  releaseProgram: true,
  releasePid: true,
  releaseStartTicks: true,
  releaseLog: true,
} as const;

export async function recordRelease(
  db: Db,
  deploymentId: string,
  release: ReleaseProcess,
): Promise<void> {
  await db.deployment.update({
    where: { id: deploymentId },
    data: {
      releasePort: release.port,
      releasePid: release.pid,
      releaseStartTicks: release.startTicks,
      releaseLog: release.logFile,
      releaseProgram: release.program,
      releaseStartedAt: new Date(),
      releaseUrl: null,
      releaseRestarts: 0,
      releaseLastExit: null,
      releaseLastRestartAt: null,
      releaseCrashedAt: null,
      // An earlier attempt's release of this deployment may have been stopped; this one runs.
      releaseStoppedAt: null,
    },
  });
}

/**
 * Makes a deployment's release the project's live one, in one statement; returns the release
 * it replaced, which the caller stops.
 */
export async function makeLive(db: Db, projectId: string, deploymentId: string) {
  const [previous] = await db.$transaction([
    db.project.findUniqueOrThrow({
      where: { id: projectId },
      select: { liveDeployment: { select: { ...stoppable, commitSha: true } } },
    }),
    db.project.update({ where: { id: projectId }, data: { liveDeploymentId: deploymentId } }),
  ]);
  return previous.liveDeployment?.id === deploymentId ? null : previous.liveDeployment;
}

/** The project's stable address, recorded once traffic reaches this release. */
export async function recordReleaseUrl(db: Db, deploymentId: string, url: string): Promise<void> {
  await db.deployment.update({ where: { id: deploymentId }, data: { releaseUrl: url } });
}

export async function markReleaseStopped(db: Db, deploymentId: string): Promise<void> {
  await db.deployment.update({
    where: { id: deploymentId },
    data: { releaseStoppedAt: new Date() },
  });
}

/** The project's live deployment, for saying what still serves when a deploy fails. */
export async function liveDeploymentOf(db: Db, projectSlug: string) {
  const project = await db.project.findUnique({
    where: { slug: projectSlug },
    select: {
      liveDeployment: {
        select: { id: true, commitSha: true, releasePort: true, releasePid: true },
      },
    },
  });
  return project?.liveDeployment ?? null;
}
