import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { cp, type FileHandle, mkdir, open, rm } from "node:fs/promises";
import path from "node:path";
import { asAppOwner } from "../exec/as-app-owner.js";
import type { AppOwner } from "../exec/hand-over.js";
import { detectBwrap } from "../exec/sandbox.js";
import { systemBinds } from "../exec/system-binds.js";

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

/**
 * Copies a kept release directory into a new attempt's own directory, leaving the original as
 * it is: timestamps and symlinks (node_modules/.bin) kept, copy-on-write where the filesystem
 * can, the platform's `.coduck/` (the schema step's scratch) left behind.
 * With an owner (the worker is root and app code runs as the project's uid), the copy is made
 * as that uid: the kept release is the app's, its code may still be running and swapping names
 * for links, and what it could make root read (a host file) the copy must not contain.
 */
export async function copyRelease(
  source: string,
  target: string,
  owner: AppOwner | null = null,
): Promise<void> {
  if (owner && process.getuid?.() === 0) return copyAsOwner(source, target, owner);
  const platformDir = path.join(source, ".coduck");
  await cp(source, target, {
    recursive: true,
    errorOnExist: true,
    force: false,
    preserveTimestamps: true,
    verbatimSymlinks: true,
    mode: constants.COPYFILE_FICLONE,
    filter: (from) => from !== platformDir,
  });
}

/**
 * `cp -a` run as the project's uid, given the two directories as open descriptors (the folders
 * above them are root's alone), in a bubblewrap mount namespace that holds them (at /src and
 * /dst) and the system's programs only: a directory the running release swaps for a link while
 * cp walks it (cp lists and copies `dir/file` by path) leads nowhere the box does not show.
 */
async function copyAsOwner(source: string, target: string, owner: AppOwner): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  await mkdir(target, { mode: 0o700 });
  let from: FileHandle | undefined;
  let to: FileHandle | undefined;
  try {
    from = await open(source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    to = await open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    await to.chown(owner.uid, owner.gid);
    const found = await detectBwrap();
    if (!found.ok) throw new Error(`cannot copy the release in a sandbox: ${found.reason}`);
    const failure = await runAs(
      found.bwrap,
      [
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--die-with-parent",
        "--new-session",
        ...systemBinds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--ro-bind-fd",
        "3",
        "/src",
        "--bind-fd",
        "4",
        "/dst",
        "--",
        ...asAppOwner(owner),
        "sh",
        "-c",
        "cp -a --reflink=auto /src/. /dst/ && rm -rf /dst/.coduck",
      ],
      [from.fd, to.fd],
    );
    if (failure !== null) throw new Error(failure);
  } catch (error) {
    await rm(target, { recursive: true, force: true });
    throw error;
  } finally {
    await from?.close();
    await to?.close();
  }
}

/** Runs a command with `fds` as its descriptors 3, 4, …; null when it succeeds, else why not. */
function runAs(file: string, args: string[], fds: number[]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      stdio: ["ignore", "ignore", "pipe", ...fds],
      env: { PATH: "/usr/bin:/bin" },
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    child.once("error", (error) => resolve(error.message));
    child.once("close", (code) => {
      if (code === 0) return resolve(null);
      const why = stderr.split("\n").find((line) => line.trim());
      resolve(why?.trim() || `cp exited with ${code}`);
    });
  });
}
