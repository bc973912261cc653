import { createHash } from "node:crypto";
import { closeSync, constants, lstatSync, openSync, readdirSync, readlinkSync } from "node:fs";
import { lstat } from "node:fs/promises";

/** What the platform itself writes into a release directory (the app's log); not the app's files. */
const PLATFORM_DIR = ".coduck";

/**
 * A fingerprint of a release directory's files: every file's and symlink's path, type, size,
 * mode and modification time (not contents: a directory with node_modules has tens of
 * thousands of files, and stat is what keeps this cheap). Two equal fingerprints mean nothing
 * was added, removed, or written since. Null when the directory does not exist.
 * The app may be running in the directory and swap names for links: each directory is opened
 * without following a link and listed through its descriptor, so the walk never leaves it.
 */
export async function releaseFingerprint(dir: string): Promise<string | null> {
  const root = await lstat(dir).catch(() => null);
  if (!root?.isDirectory()) return null;
  const hash = createHash("sha256");
  const walk = new Walk(hash);
  await walk.directory("", dir);
  return hash.digest("hex");
}

// Stats between two turns of the event loop. The walk reads synchronously: one call on the
// thread pool per file took seconds for a node_modules of 20,000 files, reading in place takes
// a few dozen milliseconds; it yields now and then so other deploys' work goes on meanwhile.
const STATS_PER_TURN = 2_000;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

class Walk {
  private sinceTurn = 0;

  constructor(private readonly hash: ReturnType<typeof createHash>) {}

  async directory(relative: string, dirPath: string): Promise<void> {
    let fd: number;
    try {
      fd = openSync(dirPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (error) {
      // Listed as a directory, a link (or gone) by the time it is opened: changed, not followed.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ELOOP" && code !== "ENOTDIR" && code !== "ENOENT") throw error;
      this.hash.update(`? ${relative} ${code}\n`);
      return;
    }
    try {
      await this.entries(relative, `/proc/self/fd/${fd}`);
    } finally {
      closeSync(fd);
    }
  }

  private async entries(relative: string, opened: string): Promise<void> {
    const entries = readdirSync(opened, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (name === PLATFORM_DIR) continue;
      const full = `${opened}/${entry.name}`;
      if (++this.sinceTurn >= STATS_PER_TURN) {
        this.sinceTurn = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (entry.isDirectory()) {
        this.hash.update(`d ${name}\n`);
        await this.directory(name, full);
      } else if (entry.isSymbolicLink()) {
        this.hash.update(`l ${name} ${readlinkSync(full)}\n`);
      } else {
        const stat = lstatSync(full);
        this.hash.update(`f ${name} ${stat.size} ${stat.mode} ${Math.round(stat.mtimeMs)}\n`);
      }
    }
  }
}
