import {
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
import { cacheDirs } from "./cache-dirs.js";
import { hostTool } from "./host-tools.js";
import { type InstallInputs, installKey, whyNotReused } from "./install-inputs.js";
import { writableHolder } from "./writable-handles.js";

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
 * Saving: right after a fresh install, before any other app command runs, the tree's files are
 * made root's and read-only in place and linked into the cache; then every process is checked
 * for a descriptor or shared mapping open for writing on any of them (an install can hand one
 * to the live release through a socket in the project's HOME). If there is one, or a file had
 * links elsewhere, the cache gets a copy instead: new files no app process ever had.
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
  const target = path.join(args.releaseDir, "node_modules");
  // A committed node_modules goes, as npm ci would remove it (rm never follows links).
  await rm(target, { recursive: true, force: true });
  const copyArgs =
    args.mode === "link" ? ["-R", "-l", "-P"] : ["-R", "-P", "--preserve=mode,timestamps"];
  await hostTool("cp", [...copyArgs, "--", path.join(entry, "node_modules"), target]);
  const owner = await stat(args.releaseDir);
  const handedOver = owner.uid !== process.getuid?.();
  if (args.mode === "link") {
    for (const name of REWRITTEN_BY_BUILDS) {
      const copied = path.join(target, name);
      if (!(await exists(copied))) continue;
      await rm(copied, { recursive: true, force: true });
      await hostTool("cp", [
        "-R",
        "-P",
        "--preserve=mode,timestamps",
        "--",
        path.join(entry, "node_modules", name),
        copied,
      ]);
      if (handedOver)
        await hostTool("chown", ["-R", "-h", "-P", `${owner.uid}:${owner.gid}`, "--", copied]);
    }
  }
  // Directories are the app's (hand-over does it when the release is not handed over yet).
  if (handedOver) await chownDirectories(target, owner.uid, owner.gid);
  const now = new Date();
  await utimes(entry, now, now).catch(() => {});
  return { restored: true, key, seconds: (performance.now() - started) / 1000 };
}

/** Keeps the release's freshly installed node_modules under its install key. Returns what it did, for the log. */
export async function saveNodeModules(args: {
  dataDir: string;
  projectId: string;
  releaseDir: string;
  inputs: InstallInputs;
  mode: CacheMode;
}): Promise<string> {
  const started = performance.now();
  const { nodeModules } = cacheDirs(args.dataDir).project(args.projectId);
  const source = path.join(args.releaseDir, "node_modules");
  const found = await lstat(source).catch(() => null);
  if (!found?.isDirectory()) return "node_modules not cached: the install made none";
  await mkdir(nodeModules, { recursive: true, mode: 0o700 });
  const key = installKey(args.inputs);
  const scratch = await mkdtemp(path.join(nodeModules, ".saving-"));
  try {
    const tree = path.join(scratch, "node_modules");
    let how = "copied";
    if (args.mode === "link" && !(await hasSharedFiles(source))) {
      await hostTool("cp", ["-R", "-l", "-P", "--", source, tree]);
      for (const name of REWRITTEN_BY_BUILDS) {
        if (!(await exists(path.join(tree, name)))) continue;
        await rm(path.join(tree, name), { recursive: true, force: true });
        await hostTool("cp", [
          "-R",
          "-P",
          "--preserve=mode,timestamps",
          "--",
          path.join(source, name),
          path.join(tree, name),
        ]);
      }
      await takeOver(tree);
      const holder = await writableHolder((await stat(tree)).dev, await inodesOf(tree));
      if (holder === null) how = "linked";
      else {
        await rm(tree, { recursive: true, force: true });
        how = `copied (${holder} holds one of its files open for writing)`;
      }
    }
    if (how !== "linked") {
      await hostTool("cp", ["-R", "-P", "--preserve=mode,timestamps", "--", source, tree]);
      await takeOver(tree);
    }
    await writeFile(path.join(scratch, "inputs.json"), JSON.stringify(args.inputs));
    const entry = path.join(nodeModules, key);
    await rm(entry, { recursive: true, force: true });
    await rename(scratch, entry);
    await writeLatest(nodeModules, key, args.inputs);
    await dropOlderKeys(nodeModules, key);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return `node_modules cached for ${args.inputs.lockfile} ${args.inputs.lockfileHash.slice(0, 4)}… (${how}, ${seconds} s)`;
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}

/** Root's and read-only for everyone else, set-id bits off; readable by all (the app reads it). */
async function takeOver(tree: string): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  await hostTool("chown", ["-R", "-h", "-P", `${uid}:${gid}`, "--", tree]);
  await hostTool("chmod", ["-R", "a+r,go-w,ug-s", "--", tree]);
}

/** Whether a regular file under `dir` has another link (pnpm's store, or one an install made). */
async function hasSharedFiles(dir: string): Promise<boolean> {
  const out = await hostTool("find", ["-P", dir, "-type", "f", "-links", "+1", "-print", "-quit"]);
  return out.trim() !== "";
}

async function inodesOf(dir: string): Promise<Set<number>> {
  const out = await hostTool("find", ["-P", dir, "-type", "f", "-printf", "%i\\n"]);
  return new Set(out.split("\n").filter(Boolean).map(Number));
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
