import { processInfo, processStartTicks } from "../exec/process-identity.js";
import { stopAbandonedGroup } from "../exec/stop-abandoned-group.js";
import type { Logger } from "../logger.js";
import { assertRoute } from "../router/assert-route.js";
import { routeId } from "../router/coduck-server.js";
import { listRoutes } from "../router/list-routes.js";
import { deleteRouteById } from "../router/remove-route.js";
import type { RouteSpec } from "../router/route-names.js";
import type { Db } from "../store/prisma.js";
import { tryEnterProjectLane } from "../store/project-lane.js";
import { defineProgram } from "../supervision/define-program.js";
import { listPrograms, type ProgramState, programState } from "../supervision/program-state.js";
import { removeProgram } from "../supervision/remove-program.js";
import { restartProgram } from "../supervision/restart-program.js";
import type { ReleaseHost } from "./release-host.js";
import { programPid, releaseProgramName, savedReleaseSpec } from "./release-program.js";
import { releaseRoute } from "./route-release.js";
import { supervisorStartedSince } from "./supervisor-restarted.js";

export type ReleasesReconciled = {
  /** Live releases supervisord had lost or let stop, started again. */
  started: string[];
  /** Programs of ours whose deployment is not live, stopped and removed. */
  removed: string[];
  /** Project routes changed, by slug. */
  routes: { added: string[]; switched: string[]; removed: string[] };
  /** Projects left as they were because a deploy of theirs held the project's lane. */
  busy: string[];
};

export type ReconcileDeps = {
  db: Db;
  host: ReleaseHost;
  logger: Logger;
  /** The worker's database, where the projects' lanes are taken. */
  databaseUrl: string;
  /** This worker's host: only its projects (and unplaced ones) are its to run and route. */
  hostId?: string;
};

const PROGRAM = /^release-([0-9a-f-]{36})$/;
const STOPPED = new Set(["STOPPED", "EXITED", "FATAL"]);

type LiveRelease = {
  id: string;
  releaseProgram: string | null;
  releasePort: number | null;
  releasePid: number | null;
  releaseStartTicks: bigint | null;
  releaseLog: string | null;
  releaseCrashedAt: Date | null;
};

/**
 * Makes supervisord and the router agree with Postgres, which is the record (at worker start,
 * and every minute): every live release runs — a program supervisord lost (its directory
 * wiped) is defined again from the spec kept beside the release's log, and one it let stop
 * while the record says nothing crashed is started again, after the old process group a dead
 * supervisord left behind (holding the port) is stopped; a program of ours whose deployment
 * is not live is removed; and the router sends every project's address to its live release,
 * and nothing else of ours.
 *
 * A deploy changes these same things (it starts a release, makes it live, routes to it and
 * stops the one before), so each project is looked at under its lane (store/project-lane.ts),
 * from a reading of its record taken there: a project whose lane a deploy holds is left to
 * that deploy, and a deploy that went live while the listing was read is seen as live — not
 * taken for a stray and stopped.
 */
export async function reconcileReleases(deps: ReconcileDeps): Promise<ReleasesReconciled> {
  const { db, host, logger } = deps;
  const result: ReleasesReconciled = {
    started: [],
    removed: [],
    routes: { added: [], switched: [], removed: [] },
    busy: [],
  };
  // What is there now: the listings only say which projects to look at.
  const programIds = (await listPrograms(host.supervisor)).flatMap(
    (p) => PROGRAM.exec(p.name)?.[1] ?? [],
  );
  const routes = groupBy(await listRoutes(host.router), (route) => route.project);
  const owners = new Map(
    (
      await db.deployment.findMany({
        where: { id: { in: programIds } },
        select: { id: true, projectId: true },
      })
    ).map((d) => [d.id, d.projectId]),
  );
  const projects = await db.project.findMany({
    where: {
      OR: [
        { liveDeploymentId: { not: null }, ...onThisHost(deps.hostId) },
        { id: { in: [...new Set(owners.values())] } },
        { slug: { in: [...routes.keys()] } },
      ],
    },
    select: { id: true, slug: true },
  });

  // A program whose deployment the record does not know, or a route of no project: strays.
  for (const id of programIds) {
    if (owners.has(id)) continue;
    await removeProgram(host.supervisor, host.supervisorDir, releaseProgramName(id));
    result.removed.push(id);
  }
  const known = new Set(projects.map((p) => p.slug));
  for (const slug of routes.keys()) {
    if (known.has(slug)) continue;
    if (await deleteRouteById(host.router, routeId(slug))) result.routes.removed.push(slug);
  }

  for (const project of projects) {
    const lane = await tryEnterProjectLane(deps.databaseUrl, project.id);
    if (!lane) {
      result.busy.push(project.slug); // a deploy runs: its release and route are its own
      continue;
    }
    try {
      const programs = programIds.filter((id) => owners.get(id) === project.id);
      await reconcileProject(deps, project, programs, routes.get(project.slug) ?? [], result);
    } catch (error) {
      logger.error(
        { project: project.slug, err: error },
        "could not reconcile a project's release",
      );
    } finally {
      await lane.release();
    }
  }
  const { routes: changed } = result;
  if (
    result.started.length +
      result.removed.length +
      changed.added.length +
      changed.switched.length +
      changed.removed.length >
    0
  )
    logger.warn(result, "reconciled releases and routes with the record");
  return result;
}

/** One project, under its lane: its live release runs and is routed, nothing else of it runs. */
async function reconcileProject(
  deps: ReconcileDeps,
  project: { id: string; slug: string },
  programs: string[],
  routes: RouteSpec[],
  result: ReleasesReconciled,
): Promise<void> {
  const { db, host } = deps;
  const now = await db.project.findUnique({
    where: { id: project.id },
    select: {
      hostId: true,
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
  // A project placed on another host is served there (a moved one's old release here is not
  // live for this host any more: its program and its local route go).
  const here = deps.hostId === undefined || now?.hostId === deps.hostId || now?.hostId === null;
  const live = here ? (now?.liveDeployment ?? null) : null;
  if (live?.releaseProgram && !live.releaseCrashedAt) {
    // supervisord gave up on a crashed one: the record says so; a deploy or restart fixes it.
    if (await keepRunning(deps, live, live.releaseProgram)) result.started.push(live.id);
  }
  const strays = programs.filter((id) => id !== live?.id);
  // Recorded running here while no deploy holds the lane: its worker died mid-deploy, and the
  // deploy's recovery on this host (which takes the lane) decides what becomes of the release.
  // One recorded running on another host has no program here.
  if (strays.length > 0 && !(await deployRecordedRunning(db, project.id, deps.hostId))) {
    for (const id of strays) {
      await removeProgram(host.supervisor, host.supervisorDir, releaseProgramName(id));
      result.removed.push(id);
    }
  }
  const wanted = live?.releasePort
    ? await releaseRoute(host, project.slug, { deploymentId: live.id, port: live.releasePort })
    : null;
  const change = await assertRoute(host.router, project.slug, wanted, routes);
  if (change !== "unchanged") result.routes[change].push(project.slug);
}

/** Makes the live release's program run; whether it had to be started again. */
async function keepRunning(
  deps: ReconcileDeps,
  release: LiveRelease,
  program: string,
): Promise<boolean> {
  const { db, host, logger } = deps;
  const state = await programState(host.supervisor, program);
  if (state && (await orphanedBySupervisor(host, release))) {
    // supervisord was killed without stopping it: its old process still serves and holds the
    // port, while the new supervisord's copy of the program cannot. One release, one process:
    // the orphan is stopped and the program started afresh under the supervisord that runs.
    try {
      await stopAbandonedGroup(release.releasePid!, release.releaseStartTicks!);
      await restartProgram(host.supervisor, program);
      await recordNewProcess(db, host, release.id, program);
      return true;
    } catch (error) {
      logger.error(
        { deploymentId: release.id, err: error },
        "could not replace an orphaned release",
      );
      return false;
    }
  }
  if (
    state?.pid &&
    state.pid !== release.releasePid &&
    (await supervisordRestartedIt(host, release))
  ) {
    // supervisord itself came back (its host rebooted, or it was killed) and started the
    // program again: the same release in a new process, not a crash of the app.
    await recordNewProcess(db, host, release.id, program);
    return false;
  }
  if (state && !STOPPED.has(state.state)) return false;
  return startAgain(deps, release, program, state);
}

async function startAgain(
  { db, host, logger }: ReconcileDeps,
  release: LiveRelease,
  program: string,
  state: ProgramState | null,
): Promise<boolean> {
  try {
    if (
      release.releasePid !== null &&
      release.releaseStartTicks !== null &&
      release.releasePid !== state?.pid
    )
      await stopAbandonedGroup(release.releasePid, release.releaseStartTicks);
    if (state) await host.supervisor.call("supervisor.startProcess", [program, false]);
    else {
      const spec = release.releaseLog ? await savedReleaseSpec(release.releaseLog) : null;
      if (!spec) {
        logger.error(
          { deploymentId: release.id },
          "a live release's program is gone and its spec with it: redeploy it",
        );
        return false;
      }
      await defineProgram(host.supervisor, host.supervisorDir, spec);
    }
    await recordNewProcess(db, host, release.id, program);
    return true;
  } catch (error) {
    logger.error({ deploymentId: release.id, err: error }, "could not start a live release again");
    return false;
  }
}

function onThisHost(hostId: string | undefined) {
  return hostId === undefined ? {} : { OR: [{ hostId }, { hostId: null }] };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
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

/** Whether a deployment of the project is recorded running (on `hostId`, when given). */
async function deployRecordedRunning(
  db: Db,
  projectId: string,
  hostId: string | undefined,
): Promise<boolean> {
  const where = { projectId, status: "running" as const, ...(hostId !== undefined && { hostId }) };
  return (await db.deployment.count({ where })) > 0;
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
