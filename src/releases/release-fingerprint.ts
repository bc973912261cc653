import { createHash } from "node:crypto";
import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";

/** What the platform itself writes into a release directory (the app's log); not the app's files. */
const PLATFORM_DIR = ".coduck";

/**
 * A fingerprint of a release directory's files: every file's and symlink's path, type, size,
 * mode and modification time (not contents: a directory with node_modules has tens of
 * thousands of files, and stat is what keeps this cheap). Two equal fingerprints mean nothing
 * was added, removed, or written since. Null when the directory does not exist.
 */
export async function releaseFingerprint(dir: string): Promise<string | null> {
  const root = await lstat(dir).catch(() => null);
  if (!root?.isDirectory()) return null;
  const hash = createHash("sha256");
  await walk(dir, "", hash);
  return hash.digest("hex");
}

async function walk(root: string, relative: string, hash: ReturnType<typeof createHash>) {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const name = relative ? `${relative}/${entry.name}` : entry.name;
    if (name === PLATFORM_DIR) continue;
    const full = path.join(root, name);
    if (entry.isDirectory()) {
      hash.update(`d ${name}\n`);
      await walk(root, name, hash);
    } else if (entry.isSymbolicLink()) {
      hash.update(`l ${name} ${await readlink(full)}\n`);
    } else {
      const stat = await lstat(full);
      hash.update(`f ${name} ${stat.size} ${stat.mode} ${Math.trunc(stat.mtimeMs)}\n`);
    }
  }
}
