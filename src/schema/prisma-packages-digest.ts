import { createHash } from "node:crypto";
import path from "node:path";
import { readOptionalAppFile } from "../apps/read-app-file.js";

/** What every Prisma command the worker runs loads: the CLI and the client's generator. */
const PRISMA_PACKAGES = ["prisma", "@prisma/client"];

/** npm's, in the order npm reads them: a shrinkwrap wins over package-lock.json. */
const NPM_LOCKFILES = ["npm-shrinkwrap.json", "package-lock.json"];
const OTHER_LOCKFILES = ["pnpm-lock.yaml", "yarn.lock", "bun.lock"];
/**
 * Large monorepos' lockfiles are a few MB. The tenant writes this one: a larger text is not
 * parsed into objects in the worker's heap, and counts whole.
 */
const AT_MOST_PARSED_BYTES = 32 * 1024 * 1024;
/**
 * The characters of lockfile keys looked up while resolving, at most. A real lockfile of
 * thousands of packages takes a few MB; a hostile one (names megabytes long, thousands of
 * made-up dependencies, deep nesting) would make each lookup hash megabytes, and the worker
 * block for minutes: past this it counts whole instead.
 */
const AT_MOST_PROBED_CHARACTERS = 16 * 1024 * 1024;
/** npm's limit on a package name's length. */
const AT_MOST_NAME_LENGTH = 214;

/**
 * A SHA-256 of what the app's lockfiles pin of the packages Prisma's commands load: the Prisma
 * CLI, @prisma/client, the packages the Prisma config imports (`configPackages`, a driver
 * adapter, dotenv), and everything those depend on, as npm installed them. So a lockfile that
 * gained a package Prisma never loads (a redeploy adding nanoid) leaves it unchanged, and a new
 * Prisma, engine, adapter or driver version changes it.
 *
 * Read from npm's lockfile (v2 and v3: the `packages` map, resolved as Node resolves a
 * require, from the requiring package's directory up). Where that cannot pin the packages down
 * (another package manager's lockfile, npm's v1 format, a workspace link, whose files are the
 * app's own and not in the lockfile), the lockfile's whole text counts instead, as any change
 * to it does. Nothing leaves the app's directory: a link out rejects with EOUTSIDEAPP.
 */
export async function prismaPackagesDigest(
  appDir: string,
  configPackages: readonly string[],
): Promise<string> {
  const hash = createHash("sha256");
  const part = (name: string, value: string) => hash.update(`${JSON.stringify(name)}\0${value}\0`);
  const roots = [...new Set([...PRISMA_PACKAGES, ...configPackages])].sort();
  part("roots", JSON.stringify(roots));
  let npmRead = false;
  for (const name of NPM_LOCKFILES) {
    const text = await readOptionalAppFile(appDir, path.join(appDir, name));
    if (text === null) continue;
    const pinned = npmRead ? null : npmClosure(text, roots);
    npmRead = true;
    part(name, pinned ?? `whole\0${text}`);
  }
  for (const name of OTHER_LOCKFILES) {
    const text = await readOptionalAppFile(appDir, path.join(appDir, name));
    if (text !== null) part(name, text);
  }
  return hash.digest("hex");
}

type LockEntry = Record<string, unknown>;

/**
 * The entries of npm's lockfile `text` that `roots` need, keyed and serialized in a fixed
 * order; null when the lockfile cannot say (not v2/v3 JSON, or a link on the way), or is over
 * AT_MOST_PARSED_BYTES, names a package longer than npm allows, or takes more resolving than
 * AT_MOST_PROBED_CHARACTERS.
 */
function npmClosure(text: string, roots: readonly string[]): string | null {
  if (text.length > AT_MOST_PARSED_BYTES) return null;
  let packages: unknown;
  try {
    packages = JSON.parse(text)?.packages;
  } catch {
    return null;
  }
  if (!isObject(packages)) return null;
  const entries = packages;
  const seen = new Map<string, LockEntry>();
  const missing = new Set<string>();
  const pending: [from: string, name: string][] = roots.map((name) => ["", name]);
  const budget = { characters: AT_MOST_PROBED_CHARACTERS };
  while (pending.length > 0) {
    const [from, name] = pending.pop()!;
    if (name.length > AT_MOST_NAME_LENGTH) return null;
    const key = resolveFrom(entries, from, name, budget);
    if (key === undefined) return null;
    if (key === null) {
      // An optional or peer dependency npm did not install: its absence is what is pinned.
      missing.add(`${from}\0${name}`);
      continue;
    }
    if (seen.has(key)) continue;
    const entry = entries[key];
    if (!isObject(entry) || entry.link === true) return null;
    seen.set(key, entry);
    for (const field of ["dependencies", "optionalDependencies", "peerDependencies"]) {
      const dependencies = entry[field];
      if (isObject(dependencies))
        for (const dep of Object.keys(dependencies)) pending.push([key, dep]);
    }
  }
  const lines = [...seen].map(([key, entry]) => `${key}\0${JSON.stringify(entry)}`);
  return [...lines.sort(), ...[...missing].sort().map((pair) => `missing\0${pair}`)].join("\n");
}

/**
 * Where Node finds package `name` required from the package at `from` ("" for the app): its
 * own node_modules, then each enclosing package's, then the app's. The lockfile's key, or null;
 * undefined when the lookups' characters ran over `budget`.
 */
function resolveFrom(
  entries: Record<string, unknown>,
  from: string,
  name: string,
  budget: { characters: number },
): string | null | undefined {
  for (let dir = from; ; ) {
    const key = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    budget.characters -= key.length;
    if (budget.characters < 0) return undefined;
    if (Object.hasOwn(entries, key)) return key;
    if (!dir) return null;
    const up = dir.lastIndexOf("/node_modules/");
    dir = up === -1 ? "" : dir.slice(0, up);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
