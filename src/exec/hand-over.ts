import { constants } from "node:fs";
import { chmod, lchown, lstat, mkdir, open, readdir, unlink } from "node:fs/promises";
import path from "node:path";

/** The uid and gid a project's app code runs as (see store/project-app-uid.ts). */
export type AppOwner = { uid: number; gid: number };

export type HandOverPaths = { releaseDir: string; homeDir: string };

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

/**
 * Makes a release directory and the project's HOME the app's, before any of its code runs in
 * them: owned by the project's uid (when the worker is root), private (0700), and the folders
 * above them the worker's alone (0700). The walk never follows a link: a committed
 * `hostdir -> /etc` is chowned itself, not /etc. The schema step's scratch directory `.coduck/`
 * is made a real directory (a committed link or file of that name is removed first).
 */
export async function handOver(paths: HandOverPaths, owner: AppOwner | null): Promise<void> {
  if (owner) {
    for (const dir of [
      path.dirname(paths.homeDir),
      path.dirname(path.dirname(paths.releaseDir)),
      path.dirname(paths.releaseDir),
    ])
      await privateWorkerDir(dir);
  }
  await mkdir(paths.homeDir, { recursive: true, mode: 0o700 });
  await platformDir(path.join(paths.releaseDir, ".coduck"));
  if (!owner) return;
  const home = await lstat(paths.homeDir);
  // A HOME first made for another uid (nobody, before projects had their own) becomes this one's.
  if (home.uid !== owner.uid || home.gid !== owner.gid) await chownTree(paths.homeDir, owner);
  await chmod(paths.homeDir, 0o700);
  await chownTree(paths.releaseDir, owner);
  await chmod(paths.releaseDir, 0o700);
}

/** The worker's own folder above releases and homes: root's, 0700, never a link. */
async function privateWorkerDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const handle = await open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    await handle.chmod(0o700);
  } finally {
    await handle.close();
  }
}

async function platformDir(dir: string): Promise<void> {
  const found = await lstat(dir).catch(() => null);
  if (found?.isDirectory()) return;
  if (found) await unlink(dir);
  await mkdir(dir);
}

/**
 * Chowns `dir` and everything under it, links themselves (lchown), never what they point at:
 * each directory is opened with O_NOFOLLOW and listed and changed through its descriptor, so a
 * name swapped for a link meanwhile fails the open instead of leading out. A file with other
 * hard links that the project does not own already is left alone: it may be a host file's.
 */
async function chownTree(dir: string, owner: AppOwner): Promise<void> {
  const handle = await open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    await handle.chown(owner.uid, owner.gid);
    const base = `/proc/self/fd/${handle.fd}`;
    for (const entry of await readdir(base, { withFileTypes: true })) {
      const child = `${base}/${entry.name}`;
      if (entry.isDirectory()) {
        await chownTree(child, owner);
        continue;
      }
      if (!entry.isSymbolicLink()) {
        const stats = await lstat(child);
        if (stats.nlink > 1 && stats.uid !== owner.uid) continue;
      }
      await lchown(child, owner.uid, owner.gid);
    }
  } finally {
    await handle.close();
  }
}
