import {
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { boxedCopy, releaseOwner } from "./boxed-copy.js";
import { cacheDirs } from "./cache-dirs.js";
import { diskUsage, hostTool, measuredUsage } from "./host-tools.js";
import { type InstallInputs, installKey, whyNotReused } from "./install-inputs.js";

/**
 * A project's installed node_modules, kept per install key (cache-dirs.ts) so that a redeploy
 * with the same inputs (install-inputs.ts) skips its install.
 *
 * How a release can never change the cached tree: every file in it is root's, without write
 * permission for anyone else, and no process holds it open for writing. A restore hard-links
 * those files into the release (directories are the release's own, so a build can still add
 * files, node_modules/.prisma or .vite); the box runs as the project's uid without
 * capabilities, so it can unlink or replace a file in its release but never write one, chmod
 * it or chown it. hand-over leaves alone a file with other links that the project does not own.
 * When the worker is not root (or SANDBOX=off, the app running as the worker) the app could
 * write root's-equivalent files, so restores copy instead (`mode: "copy"`).
 *
 * Saving, right after a fresh install, takes one of two ways:
 * - moved (an npm install in a sealed release, Sandbox.sealed): the install ran as the first
 *   box of a fresh release with a HOME of its own, so no process outside its box could be
 *   handed a descriptor of its files (no shared place to bind a socket in, a network namespace
 *   of its own), and its box has ended. Nothing can change or write the tree any more: it is
 *   measured, renamed into the cache, made root's and read-only there, and linked back into the
 *   release as a restore does. No copy: the first deploy's release and the cache share the files.
 * - copied (anything else: pnpm, yarn and bun keep their stores in the project's HOME, which
 *   the live release shares, and an install there can hand it a descriptor, where no scan of
 *   /proc sees it while it is in flight): by the app's uid in a box that shows only the release
 *   and a fresh directory of the cache (boxed-copy.ts); the copy, new files that no app process
 *   ever had, is then made root's and read-only where no box reaches.
 * Either way the tree is measured as kept: over `maxBytes` (NODE_MODULES_CACHE_MAX_MB) it is not
 * kept. Hard links are kept as links, so a tree of many links to one file takes the disk it
 * takes in the release.
 */
export type Restored =
  | { restored: true; key: string; seconds: number }
  | { restored: false; reason: string };

export type CacheMode = "link" | "copy";

const KEEP_KEYS = 2;

/**
 * Written again by builds in place (`prisma generate` rewrites node_modules/.prisma/client's
 * files when an install script made them): kept and restored as copies, the release's own.
 */
const REWRITTEN_BY_BUILDS = [".prisma"];

export async function restoreNodeModules(args: {
  dataDir: string;
  projectId: string;
  releaseDir: string;
  inputs: InstallInputs;
  mode: CacheMode;
}): Promise<Restored> {
  const started = performance.now();
  const { nodeModules } = cacheDirs(args.dataDir).project(args.projectId);
  const key = installKey(args.inputs);
  const entry = path.join(nodeModules, key);
  const complete = await readInputs(path.join(entry, "inputs.json"));
  if (!complete) {
    const latest = await readLatest(nodeModules);
    return { restored: false, reason: whyNotReused(latest, args.inputs) };
  }
  // A committed node_modules goes, as npm ci would remove it (rm never follows links).
  await rm(path.join(args.releaseDir, "node_modules"), { recursive: true, force: true });
  await placeInRelease(path.join(entry, "node_modules"), args.releaseDir, args.mode);
  const now = new Date();
  await utimes(entry, now, now).catch(() => {});
  return { restored: true, key, seconds: (performance.now() - started) / 1000 };
}

/**
 * Puts a kept tree (root's, read-only) into the release as its node_modules: its files linked
 * (`link`) or copied, the ones builds rewrite copied either way, the directories the app's.
 */
async function placeInRelease(tree: string, releaseDir: string, mode: CacheMode): Promise<void> {
  const target = path.join(releaseDir, "node_modules");
  const copyArgs =
    mode === "link" ? ["-R", "-l", "-P"] : ["-R", "-P", "--preserve=mode,timestamps,links"];
  await hostTool("cp", [...copyArgs, "--", tree, target]);
  const owner = await stat(releaseDir);
  if (mode === "link") await makeAppsOwn(target, owner);
  else if (owner.uid !== process.getuid?.()) await chownDirectories(target, owner.uid, owner.gid);
}

/**
 * In a release's node_modules of root's files: what builds rewrite in place becomes a copy of
 * the app's own, and the directories the app's (hand-over does it when the release is not
 * handed over yet). Never a chown of a linked file: it may be the kept tree's or the store's.
 */
async function makeAppsOwn(target: string, owner: { uid: number; gid: number }): Promise<void> {
  const handedOver = owner.uid !== process.getuid?.();
  for (const name of REWRITTEN_BY_BUILDS) {
    const linked = path.join(target, name);
    if (!(await exists(linked))) continue;
    const copy = path.join(target, `${name}.coduck-copy`);
    await rm(copy, { recursive: true, force: true });
    await hostTool("cp", ["-R", "-P", "--preserve=mode,timestamps", "--", linked, copy]);
    await rm(linked, { recursive: true, force: true });
    await rename(copy, linked);
    if (handedOver)
      await hostTool("chown", ["-R", "-h", "-P", `${owner.uid}:${owner.gid}`, "--", linked]);
  }
  if (handedOver) await chownDirectories(target, owner.uid, owner.gid);
}

/**
 * $1: a byte limit. Measures $SRC/node_modules (du, each inode once) and, within the limit,
 * copies it to $DST keeping hard links as links. Prints the bytes, then "over" when it did not.
 */
const SAVE_SCRIPT = `set -e
max=$1
cd "$SRC"
if [ -L node_modules ] || ! [ -d node_modules ]; then echo 0; echo none; exit 0; fi
bytes=$(du -s -B1 -- node_modules | cut -f 1)
printf '%s\\n' "$bytes"
if [ "$bytes" -gt "$max" ]; then echo over; exit 0; fi
cp -R -P --preserve=mode,timestamps,links -- node_modules "$DST/node_modules"`;

/**
 * Keeps the release's freshly installed node_modules under its install key. Returns what it did,
 * for the log. `sealed`: no process can hold anything of the release (the install ran with a
 * HOME of its own in a sealed release, Sandbox.sealed, and has ended), so with `link` the tree
 * itself is moved into the cache, made root's and linked back, rather than copied.
 */
export async function saveNodeModules(args: {
  dataDir: string;
  projectId: string;
  releaseDir: string;
  inputs: InstallInputs;
  mode: CacheMode;
  maxBytes: number;
  sealed?: boolean;
}): Promise<string> {
  const started = performance.now();
  const { nodeModules } = cacheDirs(args.dataDir).project(args.projectId);
  const source = path.join(args.releaseDir, "node_modules");
  const found = await lstat(source).catch(() => null);
  if (!found?.isDirectory()) return "node_modules not cached: the install made none";
  if (args.maxBytes === 0) return "node_modules not cached: NODE_MODULES_CACHE_MAX_MB is 0";
  await mkdir(nodeModules, { recursive: true, mode: 0o700 });
  const key = installKey(args.inputs);
  const scratch = await mkdtemp(path.join(nodeModules, ".saving-"));
  if (args.sealed && args.mode === "link") {
    const moved = await moveIntoCache({ ...args, scratch, source, key, started });
    if (moved !== null) return moved;
  }
  try {
    // A copy: new files that no app process ever held (a descriptor can reach the live
    // release through a socket, out of sight of any scan). Made by the app's uid in a box that
    // shows the release and this fresh directory only, so a name the app swaps for a link
    // meanwhile leads nowhere the app could not read itself (boxed-copy.ts).
    const owner = await releaseOwner(args.releaseDir);
    if (owner) await chown(scratch, owner.uid, owner.gid);
    const out = await boxedCopy({
      from: args.releaseDir,
      to: scratch,
      owner,
      script: SAVE_SCRIPT,
      args: [String(args.maxBytes)],
    });
    const lines = out.split("\n");
    if (lines[1] === "none") {
      await rm(scratch, { recursive: true, force: true });
      return "node_modules not cached: the install made none";
    }
    const tree = path.join(scratch, "node_modules");
    // Root's and read-only, in this directory no box shows; then measured as it is kept.
    await takeOver(scratch);
    const bytes = lines[1] === "over" ? Number(lines[0]) || 0 : await diskUsage(tree);
    if (bytes > args.maxBytes) {
      await rm(scratch, { recursive: true, force: true });
      return overLimit(bytes, args.maxBytes);
    }
    await keep(nodeModules, scratch, key, args.inputs);
    return cachedLine(args.inputs, "copied", bytes, started);
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The sealed release's node_modules, kept without a copy: measured (du, as root: nothing can
 * change it now), moved into `scratch` (one rename within DATA_DIR), made root's and read-only
 * there, then linked back into the release as a restore does. Null when it cannot be moved
 * (another filesystem): the caller copies instead.
 */
async function moveIntoCache(args: {
  releaseDir: string;
  inputs: InstallInputs;
  maxBytes: number;
  scratch: string;
  source: string;
  key: string;
  started: number;
}): Promise<string | null> {
  const { scratch, source } = args;
  const tree = path.join(scratch, "node_modules");
  let bytes: number;
  try {
    // Fails closed: a tree du cannot measure is not kept.
    bytes = await measuredUsage(source);
    if (bytes > args.maxBytes) {
      await rm(scratch, { recursive: true, force: true });
      return overLimit(bytes, args.maxBytes);
    }
    await rename(source, tree);
  } catch (error) {
    // Another filesystem: the caller copies into the same (empty) scratch directory.
    if ((error as NodeJS.ErrnoException).code === "EXDEV") return null;
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  try {
    await takeOver(scratch);
    await placeInRelease(tree, args.releaseDir, "link");
  } catch (error) {
    // The release keeps its node_modules: the tree goes back (files root's and read-only, as a
    // restore leaves them; what builds rewrite and the directories the app's again), uncached.
    await rm(source, { recursive: true, force: true });
    await rename(tree, source);
    await makeAppsOwn(source, await stat(args.releaseDir));
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  await keep(path.dirname(scratch), scratch, args.key, args.inputs).catch(async (error) => {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  });
  return cachedLine(args.inputs, "moved and linked back", bytes, args.started);
}

/** Makes `scratch` the entry of `key`, the latest; older keys beyond KEEP_KEYS go. */
async function keep(
  nodeModules: string,
  scratch: string,
  key: string,
  inputs: InstallInputs,
): Promise<void> {
  await writeFile(path.join(scratch, "inputs.json"), JSON.stringify(inputs));
  const entry = path.join(nodeModules, key);
  await rm(entry, { recursive: true, force: true });
  await rename(scratch, entry);
  await writeLatest(nodeModules, key, inputs);
  await dropOlderKeys(nodeModules, key);
}

/** The save's log line: what was kept, how, its size and how long it took. */
function cachedLine(inputs: InstallInputs, how: string, bytes: number, started: number): string {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return `node_modules cached for ${inputs.lockfile} ${inputs.lockfileHash.slice(0, 4)}… (${how}, ${megabytes(bytes)}, ${seconds} s)`;
}

function overLimit(bytes: number, maxBytes: number): string {
  return `node_modules not cached: ${megabytes(bytes)}, over NODE_MODULES_CACHE_MAX_MB (${megabytes(maxBytes)})`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Root's and read-only for everyone else, set-id bits off; readable by all (the app reads it). */
async function takeOver(tree: string): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  await hostTool("chown", ["-R", "-h", "-P", `${uid}:${gid}`, "--", tree]);
  // chmod -R leaves the links it meets alone.
  await hostTool("chmod", ["-R", "a+rX,go-w,ug-s", "--", tree]);
}

async function chownDirectories(dir: string, uid: number, gid: number): Promise<void> {
  await hostTool("find", [
    "-P",
    dir,
    "-type",
    "d",
    "-exec",
    "chown",
    "-h",
    `${uid}:${gid}`,
    "{}",
    "+",
  ]);
}

type Latest = { key: string; inputs: InstallInputs };

async function readLatest(dir: string): Promise<InstallInputs | null> {
  try {
    return (JSON.parse(await readFile(path.join(dir, "latest.json"), "utf8")) as Latest).inputs;
  } catch {
    return null;
  }
}

async function readInputs(file: string): Promise<InstallInputs | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as InstallInputs;
  } catch {
    return null;
  }
}

async function writeLatest(dir: string, key: string, inputs: InstallInputs): Promise<void> {
  const temporary = path.join(dir, `.latest-${process.pid}.json`);
  await writeFile(temporary, JSON.stringify({ key, inputs } satisfies Latest));
  await rename(temporary, path.join(dir, "latest.json"));
}

/** Keeps the newest KEEP_KEYS trees (the one just saved among them); the rest go. */
async function dropOlderKeys(dir: string, keep: string): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter(
    (e) => e.isDirectory() && /^[0-9a-f]{32}$/.test(e.name) && e.name !== keep,
  );
  const dated = await Promise.all(
    entries.map(async (e) => ({
      name: e.name,
      mtime: (await stat(path.join(dir, e.name))).mtimeMs,
    })),
  );
  dated.sort((a, b) => b.mtime - a.mtime);
  for (const old of dated.slice(KEEP_KEYS - 1))
    await rm(path.join(dir, old.name), { recursive: true, force: true });
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}
