import {
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  utimes,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { boxedCopy, releaseOwner } from "./boxed-copy.js";
import { cacheDirs } from "./cache-dirs.js";
import { diskUsage, hostTool } from "./host-tools.js";

/**
 * A project's build caches (build-cache-paths.ts): copied out of the release after a build that
 * succeeded, copied into the next release before its build. Copies both ways: the build and
 * the release keep writing them (Next.js writes .next/cache at run time). Every copy runs as the
 * project's uid in a box that shows only the two directories (boxed-copy.ts), never as root by
 * path in the release, which the app's code (a live release handed its descriptor) may change
 * at any moment; the copy kept is then made root's and read-only, in DATA_DIR, which no app box
 * sees. Bounded: a project's caches larger than `maxBytes`, measured as they are kept (hard
 * links kept as links, each counted once), are not kept (and what was kept before goes).
 */
type Manifest = {
  paths: string[];
  bytes: number;
  savedAt: string;
  /** A path kept with a key is restored only for the same key (what it was made from). */
  keys?: Record<string, string>;
};

export type Restore = { line: string; restored: string[] };

const MANIFEST = "build.json";

export async function restoreBuildCache(args: {
  dataDir: string;
  projectId: string;
  releaseDir: string;
  paths: readonly string[];
  keys?: Record<string, string>;
}): Promise<Restore> {
  const started = performance.now();
  const { build } = cacheDirs(args.dataDir).project(args.projectId);
  const manifest = await readManifest(build);
  if (!manifest) return { line: "build cache: none yet", restored: [] };
  const wanted: string[] = [];
  for (const relative of manifest.paths) {
    if (!args.paths.includes(relative) || !safeRelative(relative)) continue;
    const key = manifest.keys?.[relative];
    if (key !== undefined && key !== args.keys?.[relative]) continue;
    // Never through a link of the checkout's (a preference: the copy below runs boxed anyway).
    if (!(await realDirectoryChain(args.releaseDir, path.dirname(relative)))) continue;
    wanted.push(relative);
  }
  // Copied by the app's uid in a box that shows the kept copy and the release only: the files
  // are the app's as they are made, and a name swapped for a link leads nowhere else.
  const out =
    wanted.length === 0
      ? ""
      : await boxedCopy({
          from: path.join(build, "paths"),
          to: args.releaseDir,
          owner: await releaseOwner(args.releaseDir),
          script: RESTORE_SCRIPT,
          args: wanted,
        });
  const restored = out.split("\n").filter((line) => wanted.includes(line));
  const now = new Date();
  await utimes(build, now, now).catch(() => {});
  if (restored.length === 0) return { line: "build cache: nothing to restore", restored };
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return {
    line: `build cache restored: ${restored.join(", ")} (${megabytes(manifest.bytes)}, ${seconds} s)`,
    restored,
  };
}

/** Each path ($@) from $SRC to $DST unless $DST has it already; prints the paths it copied. */
const RESTORE_SCRIPT = `set -e
for p in "$@"; do
  if [ -e "$DST/$p" ] || [ -L "$DST/$p" ] || ! [ -e "$SRC/$p" ]; then continue; fi
  mkdir -p -- "$DST/$(dirname -- "$p")"
  cp -R -P --preserve=mode,timestamps,links -- "$SRC/$p" "$DST/$p"
  printf '%s\\n' "$p"
done`;

/**
 * $1: a byte limit; the other arguments: paths under $SRC. Measures them (du, each inode once,
 * as the copy keeps hard links) and, within the limit, copies them under $DST keeping links.
 * Prints the bytes measured, then "over" when it copied nothing.
 */
const SAVE_SCRIPT = `set -e
max=$1; shift
cd "$SRC"
bytes=$(du -s -B1 -c -- "$@" | tail -n 1 | cut -f 1)
printf '%s\\n' "$bytes"
if [ "$bytes" -gt "$max" ]; then echo over; exit 0; fi
cp -R -P --parents --preserve=mode,timestamps,links -- "$@" "$DST/"`;

export async function saveBuildCache(args: {
  dataDir: string;
  projectId: string;
  releaseDir: string;
  paths: readonly string[];
  keys?: Record<string, string>;
  maxBytes: number;
}): Promise<string | null> {
  const started = performance.now();
  const { dir, build } = cacheDirs(args.dataDir).project(args.projectId);
  const present: string[] = [];
  for (const relative of args.paths) {
    if (!safeRelative(relative)) continue;
    if (!(await realDirectoryChain(args.releaseDir, path.dirname(relative)))) continue;
    const found = await lstat(path.join(args.releaseDir, relative)).catch(() => null);
    if (found && (found.isDirectory() || found.isFile())) present.push(relative);
  }
  if (present.length === 0) return null;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const scratch = await mkdtemp(path.join(dir, ".build-"));
  try {
    // Copied out by the app's uid in a box that shows the release and this fresh directory
    // only (the folders above it are root's, 0700): the app's code may swap any name for a
    // link while it runs, and the copy still holds only what the app itself can read.
    const tree = path.join(scratch, "paths");
    await mkdir(tree, { mode: 0o700 });
    const owner = await releaseOwner(args.releaseDir);
    if (owner) await chown(tree, owner.uid, owner.gid);
    const out = await boxedCopy({
      from: args.releaseDir,
      to: tree,
      owner,
      script: SAVE_SCRIPT,
      args: [String(args.maxBytes), ...present],
    });
    const measured = Number(out.split("\n")[0]) || 0;
    // Then made root's and read-only, in this directory no box shows; measured as kept.
    await takeOver(scratch);
    const bytes = out.includes("\nover") ? measured : await diskUsage(tree);
    if (bytes > args.maxBytes) {
      await rm(scratch, { recursive: true, force: true });
      await rm(build, { recursive: true, force: true });
      return `build cache not kept: ${present.join(", ")} take ${megabytes(bytes)}, over BUILD_CACHE_MAX_MB (${megabytes(args.maxBytes)})`;
    }
    const keys = Object.fromEntries(
      Object.entries(args.keys ?? {}).filter(([relative]) => present.includes(relative)),
    );
    const manifest: Manifest = { paths: present, bytes, savedAt: new Date().toISOString(), keys };
    await writeFile(path.join(scratch, MANIFEST), JSON.stringify(manifest));
    await rm(build, { recursive: true, force: true });
    await rename(scratch, build);
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  const kept = await readManifest(build);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return `build cache kept: ${present.join(", ")} (${megabytes(kept?.bytes ?? 0)}, ${seconds} s)`;
}

/**
 * Root's, readable by all (the app's box reads it back at restore), writable by none else,
 * set-id bits off. No link is followed: chown -h -P, and chmod -R skips the links it meets.
 */
async function takeOver(dir: string): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  await hostTool("chown", ["-R", "-h", "-P", `${uid}:${gid}`, "--", dir]);
  await hostTool("chmod", ["-R", "a+rX,go-w,ug-s", "--", dir]);
}

/** A manifest's path as build-cache-paths.ts makes them: relative, no `..`, no leading dash. */
function safeRelative(relative: string): boolean {
  const normal = path.posix.normalize(relative);
  return (
    normal === relative &&
    !path.posix.isAbsolute(normal) &&
    !normal.startsWith("-") &&
    !normal.split("/").includes("..")
  );
}

async function readManifest(build: string): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(path.join(build, MANIFEST), "utf8")) as Manifest;
  } catch {
    return null;
  }
}

/**
 * Whether every component from the release down to `relativeDir` that exists is a real
 * directory (no link). A preference only (the app may change the release at any time): what
 * keeps the copies inside the app's reach is the box they run in.
 */
async function realDirectoryChain(root: string, relativeDir: string): Promise<boolean> {
  let current = root;
  for (const part of relativeDir.split("/").filter((p) => p && p !== ".")) {
    current = path.join(current, part);
    const found = await lstat(current).catch(() => null);
    if (!found) return true;
    if (!found.isDirectory()) return false;
  }
  return true;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
