import { processInfo, processStartTicks } from "../exec/process-identity.js";
import { stopAbandonedGroup } from "../exec/stop-abandoned-group.js";
import type { Logger } from "../logger.js";
import { type AssertRoutesResult, assertRoutes } from "../router/assert-routes.js";
import type { Db } from "../store/prisma.js";
import { defineProgram } from "../supervision/define-program.js";
import { listPrograms } from "../supervision/program-state.js";
import { removeProgram } from "../supervision/remove-program.js";
import { restartProgram } from "../supervision/restart-program.js";
import type { ReleaseHost } from "./release-host.js";
import { programPid, savedReleaseSpec } from "./release-program.js";
import { releaseRoute } from "./route-release.js";
import { supervisorStartedSince } from "./supervisor-restarted.js";

export type ReleasesReconciled = {
  /** Live releases supervisord had lost or let stop, started again. */
  started: string[];
  /** Programs of ours whose deployment is not live, stopped and removed. */
  removed: string[];
  routes: AssertRoutesResult;
};

const PROGRAM = /^release-([0-9a-f-]{36})$/;
const STOPPED = new Set(["STOPPED", "EXITED", "FATAL"]);

/**
 * Makes supervisord and the router agree with Postgres, which is the record (at worker start,
 * and every minute): every live release runs — a program supervisord lost (its directory
 * wiped) is defined again from the spec kept beside the release's log, and one it let stop
 * while the record says nothing crashed is started again, after the old process group a dead
 * supervisord left behind (holding the port) is stopped; a program of ours whose deployment
 * is not live, while no deploy of its project runs, is removed; and the router sends every
 * project's address to its live release, and nothing else of ours.
 */
export async function reconcileReleases(
  db: Db,
  host: ReleaseHost,
  logger: Logger,
  /** This worker's host: only its projects (and unplaced ones) are its to run and route. */
  hostId?: string,
): Promise<ReleasesReconciled> {
  const projects = await db.project.findMany({
    where: {
      liveDeploymentId: { not: null },
      // A project placed on another host is served there (a moved one's old release here is
      // not live for this host any more, so its program is removed below, its route too).
      ...(hostId !== undefined && { OR: [{ hostId }, { hostId: null }] }),
    },
    select: {
      slug: true,
      liveDeployment: {
        select: {
          id: true,
          releaseProgram: true,
          releasePort: true,
          releasePid: true,
          releaseStartTicks: true,
          releaseLog: true,
          releaseCrashedAt: true,
        },
      },
    },
  });
  const programs = new Map((await listPrograms(host.supervisor)).map((p) => [p.name, p]));
  const result: ReleasesReconciled = {
    started: [],
    removed: [],
    routes: { added: [], switched: [], removed: [] },
  };
  const live = new Set<string>();
  for (const { liveDeployment: release } of projects) {
    if (!release?.releaseProgram) continue;
    live.add(release.releaseProgram);
    if (release.releaseCrashedAt) continue; // supervisord gave up: the record says so; a deploy or restart fixes it
    const state = programs.get(release.releaseProgram);
    if (state && (await orphanedBySupervisor(host, release))) {
      // supervisord was killed without stopping it: its old process still serves and holds the
      // port, while the new supervisord's copy of the program cannot. One release, one process:
      // the orphan is stopped and the program started afresh under the supervisord that runs.
      try {
        await stopAbandonedGroup(release.releasePid!, release.releaseStartTicks!);
        await restartProgram(host.supervisor, release.releaseProgram);
        await recordNewProcess(db, host, release.id, release.releaseProgram);
        result.started.push(release.id);
      } catch (error) {
        logger.error(
          { deploymentId: release.id, err: error },
          "could not replace an orphaned release",
        );
      }
      continue;
    }
    if (
      state?.pid &&
      state.pid !== release.releasePid &&
      (await supervisordRestartedIt(host, release))
    ) {
      // supervisord itself came back (its host rebooted, or it was killed) and started the
      // program again: the same release in a new process, not a crash of the app.
      await recordNewProcess(db, host, release.id, release.releaseProgram);
      continue;
    }
    if (state && !STOPPED.has(state.state)) continue;
    try {
      if (
        release.releasePid !== null &&
        release.releaseStartTicks !== null &&
        release.releasePid !== state?.pid
      )
        await stopAbandonedGroup(release.releasePid, release.releaseStartTicks);
      if (state)
        await host.supervisor.call("supervisor.startProcess", [release.releaseProgram, false]);
      else {
        const spec = release.releaseLog ? await savedReleaseSpec(release.releaseLog) : null;
        if (!spec) {
          logger.error(
            { deploymentId: release.id },
            "a live release's program is gone and its spec with it: redeploy it",
          );
          continue;
        }
        await defineProgram(host.supervisor, host.supervisorDir, spec);
      }
      await recordNewProcess(db, host, release.id, release.releaseProgram);
      result.started.push(release.id);
    } catch (error) {
      logger.error(
        { deploymentId: release.id, err: error },
        "could not start a live release again",
      );
    }
  }
  for (const name of programs.keys()) {
    const deploymentId = PROGRAM.exec(name)?.[1];
    if (!deploymentId || live.has(name)) continue;
    if (await deployRunning(db, deploymentId)) continue; // being started, or its predecessor drained
    await removeProgram(host.supervisor, host.supervisorDir, name);
    result.removed.push(deploymentId);
  }
  const desired = [];
  for (const { slug, liveDeployment: release } of projects)
    if (release?.releasePort)
      desired.push(
        await releaseRoute(host, slug, { deploymentId: release.id, port: release.releasePort }),
      );
  result.routes = await assertRoutes(host.router, desired);
  const { routes } = result;
  if (
    result.started.length +
      result.removed.length +
      routes.added.length +
      routes.switched.length +
      routes.removed.length >
    0
  )
    logger.warn(result, "reconciled releases and routes with the record");
  return result;
}

/** The recorded process still runs, but not as a child of the supervisord that runs now. */
async function orphanedBySupervisor(
  host: ReleaseHost,
  release: { releasePid: number | null; releaseStartTicks: bigint | null },
): Promise<boolean> {
  if (release.releasePid === null || release.releaseStartTicks === null) return false;
  const recorded = processInfo(release.releasePid);
  if (!recorded || recorded.startTicks !== release.releaseStartTicks) return false;
  const supervisord = Number(await host.supervisor.call("supervisor.getPID"));
  return recorded.ppid !== supervisord;
}

/** The recorded process is gone, and supervisord started after it: it is supervisord that came back. */
async function supervisordRestartedIt(
  host: ReleaseHost,
  release: { releasePid: number | null; releaseStartTicks: bigint | null },
): Promise<boolean> {
  if (release.releasePid === null) return false;
  if (processStartTicks(release.releasePid) === release.releaseStartTicks) return false;
  return supervisorStartedSince(host, release.releaseStartTicks);
}

/** Whether a deploy of the deployment's project is running now (false for a deployment the record does not know). */
async function deployRunning(db: Db, deploymentId: string): Promise<boolean> {
  const deployment = await db.deployment.findUnique({
    where: { id: deploymentId },
    select: { projectId: true },
  });
  if (!deployment) return false;
  const running = await db.deployment.count({
    where: { projectId: deployment.projectId, status: "running" },
  });
  return running > 0;
}

/** The restarted release's new process, recorded so the watch does not count it as a crash. */
async function recordNewProcess(db: Db, host: ReleaseHost, deploymentId: string, program: string) {
  const pid = await programPid(host, program);
  if (pid === null) return;
  await db.deployment.update({
    where: { id: deploymentId },
    data: { releasePid: pid, releaseStartTicks: processStartTicks(pid) },
  });
}
