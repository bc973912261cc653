import { lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";
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
  /** The first removed (or, dry, to-be-removed) release directories, relative to DATA_DIR. */
  removedPaths: string[];
  dryRun: boolean;
};

/**
 * Keeps, in each project's release folder (DATA_DIR/releases/<project>), the newest `keep`
 * releases, and always the live one, any of a deploy still queued or running, and any whose
 * process was not recorded stopped; removes the other release directories and their logs.
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
  const queuedAt = keepers.queuedAt;
  for (const { project, releases } of folders) {
    if (releases.length === 0) continue;
    // Newest first: by when the deployment was queued, then attempt; unknown ones by mtime.
    releases.sort((a, b) => recency(b, queuedAt) - recency(a, queuedAt) || b.attempt - a.attempt);
    for (const [index, release] of releases.entries()) {
      if (index < keep) {
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

/** The deployments among `ids` whose releases must stay, and when each of `ids` was queued. */
async function protectedDeployments(db: Db, ids: string[]) {
  if (ids.length === 0) return { ids: new Set<string>(), queuedAt: new Map<string, number>() };
  const rows = await db.deployment.findMany({
    where: { id: { in: [...new Set(ids)] } },
    select: {
      id: true,
      status: true,
      queuedAt: true,
      releasePid: true,
      releaseStoppedAt: true,
      liveFor: { select: { id: true } },
    },
  });
  const keep = rows.filter(
    (d) =>
      d.liveFor !== null ||
      isActiveStatus(d.status) ||
      (d.releasePid !== null && d.releaseStoppedAt === null),
  );
  return {
    ids: new Set(keep.map((d) => d.id)),
    queuedAt: new Map(rows.map((d) => [d.id, d.queuedAt.getTime()])),
  };
}

function recency(release: Release, queuedAt: Map<string, number>): number {
  return queuedAt.get(release.deploymentId) ?? release.mtimeMs;
}
