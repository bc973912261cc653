import { type ChildProcess, spawn } from "node:child_process";
import {
  chown,
  lchown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { copyRelease } from "../../src/releases/copy-release.js";

// A retry or rollback copies a kept release as the project's uid. The release's own code may
// still run (a retry of the live deployment) and swap a directory of its for a link while the
// copy walks it: `cp -a` lists and copies "dir/file" by path, so it would follow the link to a
// host directory the box never shows and copy what the project's uid may read there into the
// new release. The copy sees only the two directories: the link leads nowhere.
const UID = 200_977;
const ROUNDS = Number(process.env.RACE_ROUNDS ?? 200);
let scratch: string;
let hostDir: string;
let swapper: ChildProcess | undefined;

const isRoot = process.getuid?.() === 0;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "coduck-copy-race-"));
  // A host directory anyone may read, outside every box (as the worker's checkout is).
  hostDir = await mkdtemp(path.join(os.tmpdir(), "coduck-host-readable-"));
  await writeFile(path.join(hostDir, "HOST-FILE"), "the host's\n", { mode: 0o644 });
  await import("node:fs/promises").then((fs) => fs.chmod(hostDir, 0o755));
});
afterAll(async () => {
  swapper?.kill("SIGKILL");
  if (scratch) await rm(scratch, { recursive: true, force: true });
  if (hostDir) await rm(hostDir, { recursive: true, force: true });
});

it("a release swapping a directory for a link while it is copied leaks no host file", async () => {
  if (!isRoot) return console.warn("skipped: copying as the project's uid needs root");
  const source = path.join(scratch, "releases", "p", "source");
  await mkdir(path.join(source, "d"), { recursive: true });
  for (let i = 0; i < 200; i++) await writeFile(path.join(source, "d", `f${i}`), "x\n");
  for (const dir of [scratch, path.join(scratch, "releases"), path.join(scratch, "releases", "p")])
    await import("node:fs/promises").then((fs) => fs.chmod(dir, 0o755));
  await chownTree(source);
  // Unhindered, the copy is whole: every file, and a link as a link.
  await symlink("d/f0", path.join(source, "link-in"));
  await lchown(path.join(source, "link-in"), UID, UID);
  const whole = path.join(scratch, "releases", "p", "whole");
  await copyRelease(source, whole, { uid: UID, gid: UID });
  expect(await listAll(whole)).toHaveLength(200);
  expect(await readlink(path.join(whole, "link-in"))).toBe("d/f0");
  expect((await lstat(path.join(whole, "d", "f1"))).uid).toBe(UID);
  // The app, as its uid, in its own directory: d is a directory, then a link to the host's.
  // renameat2(RENAME_EXCHANGE) in a tight loop: d is always there, a directory one instant
  // and a link to the host's directory the next.
  const swap = [
    "import ctypes, os",
    `os.chdir(${JSON.stringify(source)})`,
    `os.symlink(${JSON.stringify(hostDir)}, "lnk")`,
    "libc = ctypes.CDLL(None, use_errno=True)",
    "import time",
    "while True: libc.renameat2(-100, b'd', -100, b'lnk', 2); time.sleep(0.0003)",
  ].join("\n");
  swapper = spawn(
    "setpriv",
    [`--reuid=${UID}`, `--regid=${UID}`, "--clear-groups", "/usr/bin/python3", "-c", swap],
    {
      stdio: "ignore",
    },
  );
  const leaked: string[] = [];
  let copied = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const target = path.join(scratch, "releases", "p", `copy-${round}`);
    await copyRelease(source, target, { uid: UID, gid: UID }).then(
      () => copied++,
      (error: Error) => process.env.RACE_DEBUG && console.log(error.message),
    );
    for (const name of await listAll(target)) if (name.endsWith("HOST-FILE")) leaked.push(name);
  }
  swapper.kill("SIGKILL");
  if (process.env.RACE_DEBUG) console.log({ copied, leaked: leaked.length });
  expect(leaked).toEqual([]);
}, 120_000);

async function chownTree(dir: string): Promise<void> {
  await chown(dir, UID, UID);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(child);
    else await chown(child, UID, UID);
  }
}

/** Every regular file's path under `dir`, never through a link. */
async function listAll(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory()) found.push(...(await listAll(path.join(dir, entry.name), `${name}/`)));
    else if (entry.isFile()) found.push(name);
  }
  return found;
}
