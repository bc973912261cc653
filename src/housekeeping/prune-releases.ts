import { existsSync } from "node:fs";
import { lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { processInfo, processStartTicks } from "../exec/process-identity.js";
import { isActiveStatus } from "../store/deployment-statuses.js";
import type { Db } from "../store/prisma.js";

/**
 * `<deployment id>-<attempt>`, the directory, and beside it `<…>.log` (the release's output),
 * its rotated `<…>.log.N` and `<…>.log.program.json` (its supervisord program, with its secrets).
 */
const RELEASE_ENTRY =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(\d+)(\.log(?:\.program\.json|\.\d+)?)?$/;
/** How many removed paths a summary lists (the count is always whole). */
const LISTED = 50;

type Release = {
  key: string;
  deploymentId: string;
  attempt: number;
  paths: string[];
  mtimeMs: number;
};

export type ReleasePruneSummary = {
  keep: number;
  projects: number;
  kept: number;
  removed: number;
  /** Kept although past the newest `keep`: live, or a deploy still queued or running. */
  protected: number;
  /**
   * Folders of projects that live on another host now (moved away): none of their releases
   * counts among the newest `keep` here, only the protected ones stay.
   */
  movedAway: number;
  /** The first removed (or, dry, to-be-removed) release directories, relative to DATA_DIR. */
  removedPaths: string[];
  dryRun: boolean;
};

/**
 * Keeps, in each project's release folder (DATA_DIR/releases/<project>), the newest `keep`
 * releases (newest by when their attempt started, else when they were queued), and always the
 * live one, any of a deploy still queued or running, and any whose process may still run (not
 * recorded stopped, and not seen gone from this machine); removes the other release
 * directories and their logs. A project that lives on another host now than the one its
 * releases here were built on (it was moved away) keeps only those here: nothing on this host
 * serves, deploys or reuses its releases any more.
 * Only entries named as the worker names releases are touched; links are removed, not followed.
 * The directory listing comes before the database is asked, so a deploy that starts meanwhile
 * is either not listed or seen running.
 */
export async function pruneReleases(
  db: Db,
  dataDir: string,
  keep: number,
  options: { dryRun?: boolean } = {},
): Promise<ReleasePruneSummary> {
  const summary: ReleasePruneSummary = {
    keep,
    projects: 0,
    kept: 0,
    removed: 0,
    protected: 0,
    movedAway: 0,
    removedPaths: [],
    dryRun: options.dryRun === true,
  };
  const root = path.join(dataDir, "releases");
  const folders: Array<{ project: string; releases: Release[] }> = [];
  for (const project of await directories(root))
    folders.push({ project, releases: await releasesIn(path.join(root, project)) });
  summary.projects = folders.length;
  // One query for every listed release, however many projects: the cost follows what is on
  // disk (the kept releases and what is due), not the deployments ever recorded.
  const keepers = await protectedDeployments(
    db,
    folders.flatMap((f) => f.releases.map((r) => r.deploymentId)),
  );
  const { builtAt } = keepers;
  for (const { project, releases } of folders) {
    if (releases.length === 0) continue;
    const livesElsewhere = movedAway(releases, keepers.hosts);
    if (livesElsewhere) summary.movedAway++;
    const newest = livesElsewhere ? 0 : keep;
    // Newest first: by when the attempt started (else queued), then attempt; unknown by mtime.
    releases.sort((a, b) => recency(b, builtAt) - recency(a, builtAt) || b.attempt - a.attempt);
    for (const [index, release] of releases.entries()) {
      if (index < newest) {
        summary.kept++;
      } else if (keepers.ids.has(release.deploymentId)) {
        summary.kept++;
        summary.protected++;
      } else {
        summary.removed++;
        if (summary.removedPaths.length < LISTED)
          summary.removedPaths.push(path.join("releases", project, release.key));
        if (!summary.dryRun) {
          for (const entry of release.paths) await rm(entry, { recursive: true, force: true });
        }
      }
    }
  }
  return summary;
}

async function directories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

async function releasesIn(projectDir: string): Promise<Release[]> {
  const byKey = new Map<string, Release>();
  for (const name of await readdir(projectDir)) {
    const match = RELEASE_ENTRY.exec(name);
    if (!match) continue;
    const key = `${match[1]}-${match[2]}`;
    const entry = path.join(projectDir, name);
    const { mtimeMs } = await lstat(entry);
    const release = byKey.get(key) ?? {
      key,
      deploymentId: match[1]!,
      attempt: Number(match[2]),
      paths: [],
      mtimeMs: 0,
    };
    release.paths.push(entry);
    release.mtimeMs = Math.max(release.mtimeMs, mtimeMs);
    byKey.set(key, release);
  }
  return [...byKey.values()];
}

/**
 * The deployments among `ids` whose releases must stay; when each of `ids` was built (its last
 * attempt's start, else its queueing); and the host each one ran on and its project's now.
 */
async function protectedDeployments(db: Db, ids: string[]) {
  if (ids.length === 0)
    return {
      ids: new Set<string>(),
      builtAt: new Map<string, number>(),
      hosts: new Map<string, ReleaseHosts>(),
    };
  const rows = await db.deployment.findMany({
    where: { id: { in: [...new Set(ids)] } },
    select: {
      id: true,
      status: true,
      queuedAt: true,
      startedAt: true,
      releasePid: true,
      releaseStartTicks: true,
      releaseStoppedAt: true,
      hostId: true,
      liveFor: { select: { id: true } },
      project: { select: { hostId: true } },
    },
  });
  const keep = rows.filter(
    (d) =>
      d.liveFor !== null ||
      isActiveStatus(d.status) ||
      (d.releasePid !== null &&
        d.releaseStoppedAt === null &&
        mayStillRun(d.releasePid, d.releaseStartTicks)),
  );
  return {
    ids: new Set(keep.map((d) => d.id)),
    builtAt: new Map(rows.map((d) => [d.id, (d.startedAt ?? d.queuedAt).getTime()])),
    hosts: new Map(
      rows.map((d): [string, ReleaseHosts] => [
        d.id,
        { builtOn: d.hostId, projectOn: d.project.hostId },
      ]),
    ),
  };
}

/**
 * Whether a release process recorded as started (and never recorded stopped) may still run on
 * this machine, where its directory is: false only when /proc shows no process of its pid and
 * start time. A release a move left behind is stopped by the source's reconcile without being
 * recorded stopped (its program removed): without this it would be kept forever.
 */
function mayStillRun(pid: number, startTicks: bigint | null): boolean {
  if (!existsSync("/proc/self/stat")) return true; // no /proc: it cannot be told
  if (startTicks === null) return processInfo(pid) !== null;
  return processStartTicks(pid) === startTicks;
}

/** The host a deployment ran on (where its release directory is), and its project's host now. */
type ReleaseHosts = { builtOn: string | null; projectOn: string | null };

/**
 * A folder's project lives on another host now than the one its releases here ran on (this
 * one: a deployment is recorded with the host it runs on, and a release directory is made on
 * that host's disk). False when no deployment of the folder names a host (from before hosts),
 * or the project has none.
 */
function movedAway(releases: Release[], hosts: Map<string, ReleaseHosts>): boolean {
  for (const release of releases) {
    const known = hosts.get(release.deploymentId);
    if (known?.builtOn != null)
      return known.projectOn !== null && known.projectOn !== known.builtOn;
  }
  return false;
}

function recency(release: Release, builtAt: Map<string, number>): number {
  return builtAt.get(release.deploymentId) ?? release.mtimeMs;
}
