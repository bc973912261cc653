import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { asAppOwner } from "../exec/as-app-owner.js";
import { hostEnv } from "../exec/child-env.js";
import type { AppOwner } from "../exec/hand-over.js";
import { detectBwrap } from "../exec/sandbox.js";
import { systemBinds } from "../exec/system-binds.js";

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

/**
 * Copies between a release (the app's, which its running code may change at any moment: a live
 * release of the same uid can be handed the release's descriptor) and a cache directory of the
 * worker's, never as root by path. With an owner, `script` runs as the project's uid in a
 * bubblewrap mount namespace that shows the two directories (opened here without following
 * links, bound by descriptor at /src and /dst) and the system's programs, read-only: whatever
 * name the app swaps for a link meanwhile, the copy reaches only what the app could reach
 * itself. Without one (the worker is not root, or the release is the worker's), there is no
 * other uid to protect and the script runs as the worker on the two paths.
 *
 * The script is a fixed sh program: it gets `$SRC` and `$DST` in the environment and `args` as
 * its positional parameters, never interpolated. Returns its standard output.
 */
export async function boxedCopy(args: {
  from: string;
  to: string;
  owner: AppOwner | null;
  script: string;
  args: readonly string[];
}): Promise<string> {
  if (!args.owner) {
    return run("sh", ["-c", args.script, "sh", ...args.args], [], {
      ...hostEnv(),
      SRC: args.from,
      DST: args.to,
    });
  }
  const found = await detectBwrap();
  if (!found.ok) throw new Error(`cannot copy in a sandbox: ${found.reason}`);
  let from: FileHandle | undefined;
  let to: FileHandle | undefined;
  try {
    from = await open(args.from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    to = await open(args.to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    return await run(
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
        "--tmpfs",
        "/tmp",
        "--ro-bind-fd",
        "3",
        "/src",
        "--bind-fd",
        "4",
        "/dst",
        "--chdir",
        "/",
        "--setenv",
        "SRC",
        "/src",
        "--setenv",
        "DST",
        "/dst",
        "--",
        ...asAppOwner(args.owner),
        "sh",
        "-c",
        args.script,
        "sh",
        ...args.args,
      ],
      [from.fd, to.fd],
      { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" },
    );
  } finally {
    await from?.close();
    await to?.close();
  }
}

/**
 * Who a release's copies run as: the release directory's owner, when the worker is root and the
 * release is handed over to another uid; null otherwise. Read through a descriptor opened
 * without following links (the folders above a release are root's alone, so its name is fixed).
 */
export async function releaseOwner(releaseDir: string): Promise<AppOwner | null> {
  const handle = await open(releaseDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    const found = await handle.stat();
    if (process.getuid?.() !== 0 || found.uid === 0) return null;
    return { uid: found.uid, gid: found.gid };
  } finally {
    await handle.close();
  }
}

function run(
  file: string,
  args: string[],
  fds: number[],
  env: Record<string, string>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ["ignore", "pipe", "pipe", ...fds],
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      if (stdout.length < 1024 * 1024) stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) return resolve(stdout);
      const why = stderr.split("\n").find((line) => line.trim());
      reject(new Error(why?.trim() || `copy exited with ${code}`));
    });
  });
}
