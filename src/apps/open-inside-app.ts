import { constants } from "node:fs";
import { type FileHandle, open, readlink, realpath } from "node:fs/promises";
import path from "node:path";

// The app owns its directory and may fill it with links, or swap a name for one while the
// worker looks. The worker, as root, opens a file of the app's in three moves: resolve the
// name, open what it resolved to without following a link at the last step, and then ask the
// kernel where the opened file really is (/proc/self/fd): a link swapped in between the two
// shows there, so nothing outside the app's directory is ever read or written.

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;

/** A name of the app's that leads out of its directory (or changed into a link meanwhile). */
export class OutsideAppError extends Error {
  readonly code = "EOUTSIDEAPP";
}

/**
 * Opens a regular file of the app's for reading, as it really is inside `appDir` (links that
 * stay inside are followed: pnpm's node_modules is made of them). A missing file or a dangling
 * link rejects with ENOENT; a link out, a FIFO or a device with an OutsideAppError or EINVAL.
 */
export async function openAppFile(appDir: string, file: string): Promise<FileHandle> {
  const handle = await openInside(appDir, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, "file");
  try {
    if (!(await handle.stat()).isFile()) {
      const shown = path.relative(appDir, file);
      throw Object.assign(new Error(`${shown} is not a regular file`), { code: "EINVAL" });
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Opens a directory of the app's (itself too), checked to be inside `appDir` as opened. */
export async function openAppDirectory(appDir: string, dir: string): Promise<FileHandle> {
  return openInside(appDir, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, "directory");
}

/**
 * Opens `name` after resolving it, refusing a resolved path outside `appDir`, then checks
 * again where the descriptor really points: a name swapped for a link in between is refused.
 */
async function openInside(
  appDir: string,
  name: string,
  flags: number,
  kind: "file" | "directory",
): Promise<FileHandle> {
  const root = await realpath(appDir);
  const shown = path.relative(appDir, name) || ".";
  const outside = `${shown} is a link to a ${kind} outside the app's directory`;
  const target = await realpath(name);
  ensureInside(root, target, outside);
  const handle = await openOrRefuse(target, flags, shown);
  try {
    ensureInside(root, await openedPath(handle), outside);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The name `name` in the very directory `dir` holds open: the kernel resolves the first part to
 * that directory, whatever its path has become since (an openat(2) for Node's path-based API).
 */
export function inDirectory(dir: FileHandle, name: string): string {
  if (name.includes("/") || name === "." || name === "..")
    throw new Error(`not a plain file name: ${name}`);
  return `/proc/self/fd/${dir.fd}/${name}`;
}

/** Where an opened file really is, as the kernel sees it. */
export async function openedPath(handle: FileHandle): Promise<string> {
  return (await readlink(`/proc/self/fd/${handle.fd}`)).replace(/ \(deleted\)$/, "");
}

async function openOrRefuse(target: string, flags: number, shown: string): Promise<FileHandle> {
  try {
    return await open(target, flags);
  } catch (error) {
    // O_NOFOLLOW met a link where the name had resolved to none a moment before.
    if ((error as NodeJS.ErrnoException).code === "ELOOP")
      throw new OutsideAppError(`${shown} changed into a link while the worker opened it`);
    throw error;
  }
}

function ensureInside(root: string, target: string, message: string): void {
  const relative = path.relative(root, target);
  if (relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative))
    throw new OutsideAppError(message);
}
