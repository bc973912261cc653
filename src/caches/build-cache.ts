import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { cacheDirs } from "./cache-dirs.js";
import { diskUsage, hostTool } from "./host-tools.js";

/**
 * A project's build caches (build-cache-paths.ts): copied out of the release after a build that
 * succeeded, copied into the next release before its build. Copies both ways: the build and
 * the release keep writing them (Next.js writes .next/cache at run time), and the copy kept is
 * root's, in DATA_DIR, which no box sees. Bounded: a project's caches larger than `maxBytes`
 * are not kept (and what was kept before goes, being stale).
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
  const owner = await stat(args.releaseDir);
  const restored: string[] = [];
  for (const relative of manifest.paths) {
    if (!args.paths.includes(relative)) continue;
    const key = manifest.keys?.[relative];
    if (key !== undefined && key !== args.keys?.[relative]) continue;
    const target = path.join(args.releaseDir, relative);
    // Never through a link of the checkout's, never over what the checkout has.
    if (!(await realDirectoryChain(args.releaseDir, path.dirname(relative)))) continue;
    if (
      await lstat(target).then(
        () => true,
        () => false,
      )
    )
      continue;
    const created = await firstMissing(args.releaseDir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await hostTool("cp", [
      "-R",
      "-P",
      "--preserve=mode,timestamps",
      "--",
      path.join(build, "paths", relative),
      target,
    ]);
    // The release's own once handed over; before that, hand-over makes it so.
    if (owner.uid !== process.getuid?.())
      await hostTool("chown", ["-R", "-h", "-P", `${owner.uid}:${owner.gid}`, "--", created]);
    restored.push(relative);
  }
  const now = new Date();
  await utimes(build, now, now).catch(() => {});
  if (restored.length === 0) return { line: "build cache: nothing to restore", restored };
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return {
    line: `build cache restored: ${restored.join(", ")} (${megabytes(manifest.bytes)}, ${seconds} s)`,
    restored,
  };
}

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
    if (!(await realDirectoryChain(args.releaseDir, path.dirname(relative)))) continue;
    const found = await lstat(path.join(args.releaseDir, relative)).catch(() => null);
    if (found && (found.isDirectory() || found.isFile())) present.push(relative);
  }
  if (present.length === 0) return null;
  let bytes = 0;
  for (const relative of present) bytes += await diskUsage(path.join(args.releaseDir, relative));
  if (bytes > args.maxBytes) {
    await rm(build, { recursive: true, force: true });
    return `build cache not kept: ${present.join(", ")} take ${megabytes(bytes)}, over BUILD_CACHE_MAX_MB (${megabytes(args.maxBytes)})`;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const scratch = await mkdtemp(path.join(dir, ".build-"));
  try {
    for (const relative of present) {
      const target = path.join(scratch, "paths", relative);
      await mkdir(path.dirname(target), { recursive: true });
      await hostTool("cp", [
        "-R",
        "-P",
        "--preserve=mode,timestamps",
        "--",
        path.join(args.releaseDir, relative),
        target,
      ]);
    }
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    await hostTool("chown", ["-R", "-h", "-P", `${uid}:${gid}`, "--", scratch]);
    await hostTool("chmod", ["-R", "go-w,ug-s", "--", scratch]);
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
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return `build cache kept: ${present.join(", ")} (${megabytes(bytes)}, ${seconds} s)`;
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
 * directory (no link). Checked when no app process can change the release: before the build's
 * commands, after they ended.
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

/** The outermost component of `relative` under `root` that does not exist yet. */
async function firstMissing(root: string, relative: string): Promise<string> {
  let current = root;
  for (const part of relative.split("/")) {
    current = path.join(current, part);
    if (
      !(await lstat(current).then(
        () => true,
        () => false,
      ))
    )
      return current;
  }
  return current;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
