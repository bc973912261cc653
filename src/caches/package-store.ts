import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { chmod, copyFile, link, lstat, mkdir, open, realpath, rename, rm } from "node:fs/promises";
import path from "node:path";

/**
 * The package stores: npm's content by integrity (`content-v2/sha512/ab/cd/ef…`, npm's own
 * layout), written only by the worker, outside every box, and only with content whose SHA-512
 * it computed itself and found equal to the integrity the file is stored under. Boxes never see
 * a store: an install gets a scratch npm cache of its own (in its release directory) with the
 * stores' files its lockfile names hard-linked in, root's and read-only. After the install the
 * worker copies what the stores lack back from the scratch cache, verifying each file; a file
 * that does not hash to its name, or is not a regular file, is left out.
 *
 * Two stores, for confidentiality: the shared one, which seeds every project, takes only
 * packages that are public: the lockfile's `resolved` is a tarball of the public registry
 * (https://registry.npmjs.org/; with no `resolved`, the registry's URL for the entry's name and
 * version) and the worker itself fetches it there, without credentials, and finds it hashing to
 * the integrity. Anything else (a private registry's tarball, a private package of the public
 * registry, a git dependency) goes to the project's own store, which seeds that project only:
 * knowing an integrity never gives a tenant another tenant's private package. Each deploy adds
 * at most MAX_ADDED_FILES files and MAX_ADDED_BYTES bytes to the stores.
 */

/** Only these are trusted to name content: sha1 (old lockfiles) has known collisions. */
const TRUSTED = new Set(["sha512"]);
/** A tarball larger than this is not kept in the store (npm's own limit is far above any real one). */
const MAX_TARBALL_BYTES = 1024 * 1024 * 1024;

/** The public registry: only its tarballs, served to anyone, enter the shared store. */
const PUBLIC_REGISTRY = "https://registry.npmjs.org/";
const MAX_ADDED_FILES = 5000;
const MAX_ADDED_BYTES = 2 * 1024 * 1024 * 1024;

export type Integrity = {
  algorithm: string;
  digest: Buffer;
  text: string;
  /** The public registry's tarball URL, when every lockfile entry naming this content has it. */
  publicUrl?: string;
};

/** The trusted integrities an npm lockfile (package-lock.json or npm-shrinkwrap.json) names. */
export function lockfileIntegrities(lockfileText: string): Integrity[] {
  let lock: unknown;
  try {
    lock = JSON.parse(lockfileText);
  } catch {
    return [];
  }
  const found = new Map<string, Integrity>();
  const notPublic = new Set<string>();
  const visit = (entries: unknown) => {
    if (typeof entries !== "object" || entries === null) return;
    for (const [key, entry] of Object.entries(entries)) {
      if (typeof entry !== "object" || entry === null) continue;
      const integrity = (entry as { integrity?: unknown }).integrity;
      const url = publicTarball(
        (entry as { resolved?: unknown }).resolved ?? defaultTarball(key, entry),
      );
      if (typeof integrity === "string") {
        for (const part of integrity.split(/\s+/)) {
          const parsed = parseIntegrity(part);
          if (!parsed) continue;
          const seen = found.get(parsed.text);
          if (!url) notPublic.add(parsed.text);
          if (!seen) found.set(parsed.text, url ? { ...parsed, publicUrl: url } : parsed);
          else if (seen.publicUrl && url && seen.publicUrl !== url) notPublic.add(parsed.text);
        }
      }
      // lockfileVersion 1 nests dependencies.
      visit((entry as { dependencies?: unknown }).dependencies);
    }
  };
  const root = lock as { packages?: unknown; dependencies?: unknown };
  visit(root.packages);
  if (!root.packages) visit(root.dependencies);
  return [...found.values()].map((integrity) =>
    notPublic.has(integrity.text) ? { ...integrity, publicUrl: undefined } : integrity,
  );
}

/**
 * Where the public registry would serve an entry that names no `resolved` (npm then fetches it
 * from the configured registry, which may be a private one: the fetch above decides): from its
 * name (`node_modules/@scope/name`, or lockfile v1's key) and `version`.
 */
function defaultTarball(key: string, entry: object): string | undefined {
  const version = (entry as { version?: unknown }).version;
  const name = key.includes("node_modules/")
    ? key.slice(key.lastIndexOf("node_modules/") + 13)
    : key;
  if (typeof version !== "string" || !/^[0-9][0-9A-Za-z.+-]*$/.test(version)) return undefined;
  if (!/^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/.test(name)) return undefined;
  const base = name.split("/").pop() as string;
  return `${PUBLIC_REGISTRY}${name}/-/${base}-${version}.tgz`;
}

/** `resolved` when it is a tarball URL of the public registry (no credentials, no query). */
function publicTarball(resolved: unknown): string | undefined {
  if (typeof resolved !== "string" || !resolved.startsWith(PUBLIC_REGISTRY)) return undefined;
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    return undefined;
  }
  if (url.origin !== new URL(PUBLIC_REGISTRY).origin || url.username || url.password) return;
  if (url.search || url.hash || !/^\/[^?#]+\/-\/[^/?#]+\.tgz$/.test(url.pathname)) return;
  return url.href;
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

export type Stores = {
  /** Public packages only; seeds every project. */
  shared: string;
  /** This project's own: everything not known public. */
  project: string;
};

/**
 * Links what the stores have of `integrities` (the project's own first, then the shared one)
 * into a scratch npm cache (`<cacheDir>/_cacache`), which the worker made and no app process
 * has seen yet. Returns how many were there.
 */
export async function seedFromStore(
  stores: Stores,
  cacheDir: string,
  integrities: readonly Integrity[],
): Promise<number> {
  let linked = 0;
  const cacache = path.join(cacheDir, "_cacache");
  await Promise.all(
    integrities.map(async (integrity) => {
      const target = contentPath(cacache, integrity);
      for (const store of [stores.project, stores.shared]) {
        const source = contentPath(store, integrity);
        try {
          await mkdir(path.dirname(target), { recursive: true });
          await link(source, target);
          linked++;
          return;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "EXDEV") {
            // The store is on another filesystem: a copy (the box cannot change the store's file).
            await copyFile(source, target);
            await chmod(target, 0o444);
            linked++;
            return;
          }
          if (code === "EEXIST") return;
          if (code !== "ENOENT") throw error;
        }
      }
    }),
  );
  return linked;
}

export type Harvest = { added: number; shared: number; rejected: number; capped: number };

/**
 * Copies into the stores what they lack of `integrities` from the scratch cache an install
 * used, each file hashed as it is copied and kept only when its SHA-512 is the integrity it is
 * stored under: into the shared store when the package is public (see above), else into the
 * project's. Run when the install's box is gone; even so, the scratch cache lies in the
 * release, which a live release of the same uid may change: a file is opened without following
 * links or blocking (a FIFO), only where its real path is the expected one, and only a regular
 * file is read.
 */
export async function harvestIntoStore(
  stores: Stores,
  cacheDir: string,
  integrities: readonly Integrity[],
): Promise<Harvest> {
  const result: Harvest = { added: 0, shared: 0, rejected: 0, capped: 0 };
  const cacache = path.join(cacheDir, "_cacache");
  const candidates: Integrity[] = [];
  for (const integrity of integrities) {
    if (
      (await exists(contentPath(stores.shared, integrity))) ||
      (await exists(contentPath(stores.project, integrity)))
    )
      continue;
    const found = await lstat(contentPath(cacache, integrity)).catch(() => null);
    if (found?.isFile()) candidates.push(integrity);
  }
  const kept = candidates.slice(0, MAX_ADDED_FILES);
  result.capped = candidates.length - kept.length;
  const publicOnes = await servedPublicly(kept);
  let bytes = 0;
  for (const integrity of kept) {
    const source = contentPath(cacache, integrity);
    const real = await realpath(source).catch(() => null);
    if (real !== source) continue;
    const shared = publicOnes.has(integrity.text);
    const target = contentPath(shared ? stores.shared : stores.project, integrity);
    const verdict = await copyVerified(source, target, integrity, MAX_ADDED_BYTES - bytes);
    if (typeof verdict === "number") {
      bytes += verdict;
      result.added++;
      if (shared) result.shared++;
    } else if (verdict === "rejected") result.rejected++;
    else if (verdict === "too large") result.capped++;
  }
  return result;
}

/**
 * Which of `integrities` the public registry serves to anyone: the worker fetches `publicUrl`
 * itself, without credentials, and hashes what it gets; only content equal to the integrity
 * counts (a private package of the registry answers 404; a private registry's package of the
 * same name and version has other content).
 */
async function servedPublicly(integrities: readonly Integrity[]): Promise<Set<string>> {
  const served = new Set<string>();
  const queue = integrities.filter((integrity) => integrity.publicUrl);
  let budget = MAX_ADDED_BYTES;
  const fetchOne = async (integrity: Integrity) => {
    const response = await fetch(integrity.publicUrl as string, {
      redirect: "error",
      signal: AbortSignal.timeout(60_000),
    });
    if (response.status !== 200 || !response.body) return;
    const hash = createHash(integrity.algorithm);
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      budget -= chunk.length;
      if (budget < 0) return;
      hash.update(chunk);
    }
    if (hash.digest().equals(integrity.digest)) served.add(integrity.text);
  };
  const worker = async () => {
    for (let next = queue.shift(); next && budget > 0; next = queue.shift())
      await fetchOne(next).catch(() => {});
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return served;
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

/** The bytes added, or why not. */
async function copyVerified(
  source: string,
  target: string,
  integrity: Integrity,
  room: number,
): Promise<number | "rejected" | "skipped" | "too large"> {
  // O_NONBLOCK: a FIFO put in its place opens at once (and is refused below) instead of
  // blocking one of libuv's threads for ever.
  const input = await open(
    source,
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
  ).catch(() => null);
  if (!input) return "skipped";
  const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const stats = await input.stat();
    if (!stats.isFile()) return "skipped";
    if (stats.size > MAX_TARBALL_BYTES || stats.size > room) return "too large";
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    let size = 0;
    const hash = createHash(integrity.algorithm);
    const output = await open(temporary, "wx", 0o444);
    try {
      for await (const chunk of input.createReadStream({ autoClose: false })) {
        size += (chunk as Buffer).length;
        if (size > stats.size) return "skipped"; // it grew while being read
        hash.update(chunk as Buffer);
        await output.write(chunk as Buffer);
      }
    } finally {
      await output.close();
    }
    if (!hash.digest().equals(integrity.digest)) return "rejected";
    await rename(temporary, target);
    return size;
  } finally {
    await input.close();
    await rm(temporary, { force: true });
  }
}
