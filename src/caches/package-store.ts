import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { chmod, copyFile, link, lstat, mkdir, open, realpath, rename, rm } from "node:fs/promises";
import path from "node:path";

/**
 * The shared package store: npm's content by integrity (`content-v2/sha512/ab/cd/ef…`, npm's own
 * layout), written only by the worker, outside every box, and only with content whose SHA-512
 * it computed itself and found equal to the integrity the file is stored under. Boxes never see
 * the store: an install gets a scratch npm cache of its own (in its release directory) with the
 * store's files its lockfile names hard-linked in, root's and read-only. After the install the
 * worker copies what the store lacks back from the scratch cache, verifying each file; a file
 * that does not hash to its name is left out. So no tenant can put content into another's
 * install that the other's lockfile does not name by its hash.
 */

/** Only these are trusted to name content: sha1 (old lockfiles) has known collisions. */
const TRUSTED = new Set(["sha512"]);
/** A tarball larger than this is not kept in the store (npm's own limit is far above any real one). */
const MAX_TARBALL_BYTES = 1024 * 1024 * 1024;

export type Integrity = { algorithm: string; digest: Buffer; text: string };

/** The trusted integrities an npm lockfile (package-lock.json or npm-shrinkwrap.json) names. */
export function lockfileIntegrities(lockfileText: string): Integrity[] {
  let lock: unknown;
  try {
    lock = JSON.parse(lockfileText);
  } catch {
    return [];
  }
  const found = new Map<string, Integrity>();
  const visit = (entries: unknown) => {
    if (typeof entries !== "object" || entries === null) return;
    for (const entry of Object.values(entries)) {
      if (typeof entry !== "object" || entry === null) continue;
      const integrity = (entry as { integrity?: unknown }).integrity;
      if (typeof integrity === "string") {
        for (const part of integrity.split(/\s+/)) {
          const parsed = parseIntegrity(part);
          if (parsed) found.set(parsed.text, parsed);
        }
      }
      // lockfileVersion 1 nests dependencies.
      visit((entry as { dependencies?: unknown }).dependencies);
    }
  };
  const root = lock as { packages?: unknown; dependencies?: unknown };
  visit(root.packages);
  if (!root.packages) visit(root.dependencies);
  return [...found.values()];
}

function parseIntegrity(text: string): Integrity | null {
  const match = /^([a-z0-9]+)-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(text);
  if (!match || !TRUSTED.has(match[1]!)) return null;
  const digest = Buffer.from(match[2]!, "base64");
  if (digest.length !== 64) return null;
  return { algorithm: match[1]!, digest, text: `${match[1]}-${match[2]}` };
}

/** Where npm's cache (cacache) keeps the content of `integrity`, under `cacheDir/_cacache`. */
export function contentPath(cacheRoot: string, integrity: Integrity): string {
  const hex = integrity.digest.toString("hex");
  return path.join(
    cacheRoot,
    "content-v2",
    integrity.algorithm,
    hex.slice(0, 2),
    hex.slice(2, 4),
    hex.slice(4),
  );
}

/**
 * Links what the store has of `integrities` into a scratch npm cache (`<cacheDir>/_cacache`),
 * which the worker made and no app process has seen yet. Returns how many were there.
 */
export async function seedFromStore(
  store: string,
  cacheDir: string,
  integrities: readonly Integrity[],
): Promise<number> {
  let linked = 0;
  const cacache = path.join(cacheDir, "_cacache");
  await Promise.all(
    integrities.map(async (integrity) => {
      const source = contentPath(store, integrity);
      const target = contentPath(cacache, integrity);
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await link(source, target);
        linked++;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EXDEV") {
          // The store is on another filesystem: a copy (the box cannot change the store's file).
          await copyFile(source, target);
          await chmod(target, 0o444);
          linked++;
        } else if (code !== "ENOENT" && code !== "EEXIST") throw error;
      }
    }),
  );
  return linked;
}

export type Harvest = { added: number; rejected: number };

/**
 * Copies into the store what it lacks of `integrities` from the scratch cache an install used,
 * each file hashed as it is copied and kept only when its SHA-512 is the integrity it is stored
 * under. Run when no app process can touch the scratch cache any more (the install's box is
 * gone; the cache lies in a release directory no other box shows); even so, a file is opened
 * without following links and only where its real path is the expected one.
 */
export async function harvestIntoStore(
  store: string,
  cacheDir: string,
  integrities: readonly Integrity[],
): Promise<Harvest> {
  const result: Harvest = { added: 0, rejected: 0 };
  const cacache = path.join(cacheDir, "_cacache");
  for (const integrity of integrities) {
    const target = contentPath(store, integrity);
    if (
      await lstat(target).then(
        () => true,
        () => false,
      )
    )
      continue;
    const source = contentPath(cacache, integrity);
    const real = await realpath(source).catch(() => null);
    if (real !== source) continue;
    const verdict = await copyVerified(source, target, integrity);
    if (verdict === "added") result.added++;
    if (verdict === "rejected") result.rejected++;
  }
  return result;
}

async function copyVerified(
  source: string,
  target: string,
  integrity: Integrity,
): Promise<"added" | "rejected" | "skipped"> {
  const input = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (!input) return "skipped";
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const stats = await input.stat();
    if (!stats.isFile() || stats.size > MAX_TARBALL_BYTES) return "skipped";
    const hash = createHash(integrity.algorithm);
    const output = await open(temporary, "wx", 0o444);
    try {
      for await (const chunk of input.createReadStream({ autoClose: false })) {
        hash.update(chunk as Buffer);
        await output.write(chunk as Buffer);
      }
    } finally {
      await output.close();
    }
    if (!hash.digest().equals(integrity.digest)) return "rejected";
    await rename(temporary, target);
    return "added";
  } finally {
    await input.close();
    await rm(temporary, { force: true });
  }
}
