import { readdir, readFile, stat } from "node:fs/promises";

/**
 * Whether any process other than this one holds one of `inodes` (on device `dev`) open for
 * writing, or mapped shared and writable: the one way a file can still be written after the
 * worker made it root's and read-only. A box's processes can hand such a descriptor to another
 * process of the project (a unix socket in its HOME reaches the live release), so this looks at
 * every process. Returns the first holder found, as "pid 123", or null.
 */
export async function writableHolder(
  dev: number,
  inodes: ReadonlySet<number>,
): Promise<string | null> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const found = await stat(`/proc/${pid}/fd/${fd}`).catch(() => null);
      if (!found || found.dev !== dev || !inodes.has(found.ino)) continue;
      const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, "utf8").catch(() => "");
      const flags = Number.parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? "2", 8);
      // O_WRONLY (1) or O_RDWR (2); an unreadable fdinfo counts as writable.
      if ((flags & 3) !== 0) return `pid ${pid}`;
    }
    const maps = await readFile(`/proc/${pid}/maps`, "utf8").catch(() => "");
    for (const line of maps.split("\n")) {
      // address perms offset dev inode path: "rw-s" is a shared, writable mapping.
      const [, perms, , , inode] = line.split(/\s+/);
      if (perms?.[1] === "w" && perms[3] === "s" && inodes.has(Number(inode))) return `pid ${pid}`;
    }
  }
  return null;
}
