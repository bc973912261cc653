import { lstat, readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { cacheDirs } from "../caches/cache-dirs.js";
import type { Db } from "../store/prisma.js";

export type CachePruneSummary = {
  olderThan: string;
  /** Projects whose whole cache went: the project no longer exists. */
  projects: number;
  /** Kept node_modules trees and build caches removed. */
  caches: number;
  /** Files of the shared package store removed (unused, linked nowhere). */
  packages: number;
  dryRun: boolean;
};

/**
 * Prunes the worker's caches (caches/cache-dirs.ts): a removed project's whole cache; a
 * project's kept node_modules trees and build caches not restored or saved since `olderThan`
 * (a restore touches them); and files of the shared package store last linked before
 * `olderThan` (a link changes a file's ctime) that no install links now; and what a save left
 * when the worker died in the middle of it, made before `olderThan`. Nothing that is in use
 * goes: a release keeps its own links to the files it was restored from.
 */
export async function pruneCaches(
  db: Db,
  dataDir: string,
  olderThan: Date,
  options: { dryRun?: boolean } = {},
): Promise<CachePruneSummary> {
  const dirs = cacheDirs(dataDir);
  const dryRun = options.dryRun === true;
  const summary: CachePruneSummary = {
    olderThan: olderThan.toISOString(),
    projects: 0,
    caches: 0,
    packages: 0,
    dryRun,
  };
  const cutoff = olderThan.getTime();
  const remove = async (target: string) => {
    if (!dryRun) await rm(target, { recursive: true, force: true });
  };
  const projectIds = await listDirs(dirs.projects);
  const existing = new Set(
    projectIds.length === 0
      ? []
      : (
          await db.project.findMany({ where: { id: { in: projectIds } }, select: { id: true } })
        ).map((p) => p.id),
  );
  for (const id of projectIds) {
    const project = dirs.project(id);
    if (!existing.has(id)) {
      await remove(project.dir);
      summary.projects++;
      continue;
    }
    const latest = await latestKey(project.nodeModules);
    for (const key of await listDirs(project.nodeModules)) {
      if (!/^[0-9a-f]{32}$/.test(key)) continue;
      const entry = path.join(project.nodeModules, key);
      if ((await stat(entry)).mtimeMs >= cutoff) continue;
      await remove(entry);
      if (key === latest) await remove(path.join(project.nodeModules, "latest.json"));
      summary.caches++;
    }
    // What a save left when the worker died in the middle of it (node-modules-cache.ts, build-cache.ts).
    for (const [parent, prefix] of [
      [project.nodeModules, ".saving-"],
      [project.dir, ".build-"],
    ] as const) {
      for (const entry of await readdir(parent, { withFileTypes: true }).catch(() => [])) {
        if (!entry.isDirectory() || !entry.name.startsWith(prefix)) continue;
        const left = path.join(parent, entry.name);
        if ((await stat(left)).mtimeMs >= cutoff) continue;
        await remove(left);
        summary.caches++;
      }
    }
    const build = await stat(project.build).catch(() => null);
    if (build && build.mtimeMs < cutoff) {
      await remove(project.build);
      summary.caches++;
    }
  }
  summary.packages = await prunePackages(path.join(dirs.packages, "content-v2"), cutoff, dryRun);
  return summary;
}

async function prunePackages(dir: string, cutoff: number, dryRun: boolean): Promise<number> {
  let removed = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removed += await prunePackages(full, cutoff, dryRun);
      continue;
    }
    const found = await lstat(full).catch(() => null);
    if (!found?.isFile() || found.nlink > 1 || found.ctimeMs >= cutoff) continue;
    if (!dryRun) await rm(full, { force: true });
    removed++;
  }
  return removed;
}

async function listDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name);
}

async function latestKey(dir: string): Promise<string | null> {
  try {
    return (JSON.parse(await readFile(path.join(dir, "latest.json"), "utf8")) as { key: string })
      .key;
  } catch {
    return null;
  }
}
