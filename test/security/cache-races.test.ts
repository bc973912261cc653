import { createHash, randomBytes } from "node:crypto";
import { closeSync, constants, openSync } from "node:fs";
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import { execa } from "execa";
import { cacheDirs } from "../../src/caches/cache-dirs.js";
import type { DeploymentRecord } from "../../src/store/deployment-record.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Attacks on the dependency and build caches (issue 23) that succeeded against the first
// version of src/caches: the live release (same uid and HOME as the next deploy's install and
// build, handed their descriptors over a unix socket) racing root's copies, a FIFO in npm's
// cache, a descriptor in flight, hard links multiplying kept caches, another tenant's private
// package by its integrity. Each asserts the safe behaviour (docs/SECURITY.md, Caches). Its own
// stack: BUILD_CACHE_MAX_MB is 1 here.
jest.setTimeout(600_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ SANDBOX: "bwrap", BUILD_CACHE_MAX_MB: "1" });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

async function deployed(project: string, repoUrl: string, ms = 240_000): Promise<DeploymentRecord> {
  return stack.waitForEnd(await stack.deploy({ project, repoUrl }), ms);
}

function stepLog(record: DeploymentRecord, name: string): string {
  return record.steps.find((s) => s.name === name)?.logTail ?? "";
}

function releaseOf(record: DeploymentRecord): string {
  return path.join(stack.config.dataDir, "releases", record.project, `${record.id}-1`);
}

async function projectId(slug: string): Promise<string> {
  return (await stack.db.project.findUniqueOrThrow({ where: { slug } })).id;
}

/** Bytes on disk under `dir`, each inode counted once (du). */
async function diskBytes(dir: string): Promise<number> {
  const { stdout } = await execa("du", ["-s", "-B1", "--", dir]);
  return Number(stdout.split(/\s/)[0]);
}

/** node-http's lockfile with one more entry, naming `integrity` (a package npm never installs). */
async function lockfileNaming(integrity: string): Promise<string> {
  const repo = await fixtureRepo("node-http");
  const lock = JSON.parse(await readFile(path.join(repo.dir, "package-lock.json"), "utf8"));
  lock.packages["node_modules/ghost"] = { version: "1.0.0", integrity };
  return JSON.stringify(lock, null, 2);
}

/** Where npm's cache keeps `integrity`, computed inside the box from the lockfile's ghost entry. */
const GHOST_PATH = `
const fs = require("node:fs"), path = require("node:path");
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
const integrity = lock.packages["node_modules/ghost"].integrity;
const hex = Buffer.from(integrity.slice(7), "base64").toString("hex");
const ghost = path.join(process.env.npm_config_cache, "_cacache", "content-v2", "sha512", hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
`;

/** An index.js that needs no dependency: these apps install nothing real. */
const PLAIN_SERVER = `import { createServer } from "node:http";
createServer((_q, r) => r.end("ok")).listen(Number(process.env.PORT));
`;

it("a FIFO where npm's cache keeps a package does not hang the worker's harvest", async () => {
  // harvestIntoStore opens the scratch cache's file O_RDONLY|O_NOFOLLOW (package-store.ts,
  // copyVerified) and checks isFile() only after open returns: on a FIFO with no writer, open
  // blocks forever, in one of libuv's 4 threads. Four such deploys stop every fs call of the worker.
  const integrity = `sha512-${randomBytes(64).toString("base64")}`;
  const repo = await fixtureRepo("node-http", {
    "package-lock.json": await lockfileNaming(integrity),
    "src/index.js": PLAIN_SERVER,
    "fifo.cjs": `${GHOST_PATH}
fs.mkdirSync(path.dirname(ghost), { recursive: true });
require("node:child_process").execFileSync("mkfifo", [ghost]);
console.log("fifo planted");`,
    "coduck.json": JSON.stringify({ install: "node fifo.cjs" }),
  });
  const id = await stack.deploy({ project: "fifo-harvest", repoUrl: repo.dir });
  let record: DeploymentRecord | null = null;
  try {
    record = await stack.waitForEnd(id, 90_000);
  } finally {
    if (!record) {
      // The attack worked: release the worker's blocked open() so the stack can close.
      for (const fifo of await fifosUnder(
        path.join(stack.config.dataDir, "releases", "fifo-harvest"),
      )) {
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {}
      }
      await stack.waitForEnd(id, 60_000).catch(() => null);
    }
  }
  expect(record?.status).toBe("succeeded");
  expect(record?.steps.find((s) => s.name === "install")?.status).toBe("succeeded");
});

async function fifosUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(dir, { recursive: true }).catch(() => [] as string[])) {
    const full = path.join(dir, name);
    if ((await lstat(full).catch(() => null))?.isFIFO()) found.push(full);
  }
  return found;
}

it("hard links in node_modules do not multiply the disk the kept node_modules take", async () => {
  // hasSharedFiles (node-modules-cache.ts) sends a tree with any nlink > 1 file to copy mode,
  // and `cp -R -P --preserve=mode,timestamps` (no `links`) writes each name as its own file:
  // 1 MB linked 100 times in the release becomes 100 MB in DATA_DIR, with no bound at all.
  const repo = await fixtureRepo("node-http", {
    "amplify.cjs": `const fs = require("node:fs");
fs.mkdirSync("node_modules/.amp", { recursive: true });
fs.writeFileSync("node_modules/.amp/blob", require("node:crypto").randomBytes(1 << 20));
for (let i = 0; i < 100; i++) fs.linkSync("node_modules/.amp/blob", "node_modules/.amp/link-" + i);
console.log("amplified");`,
  });
  const manifest = JSON.parse(await readFile(path.join(repo.dir, "package.json"), "utf8"));
  manifest.scripts.postinstall = "node amplify.cjs";
  await repo.commit({ "package.json": JSON.stringify(manifest, null, 2) }, "amplify");
  const record = await deployed("amplified", repo.dir);
  expect(record.status).toBe("succeeded");
  expect(stepLog(record, "install")).toMatch(/node_modules cached for/);
  const inRelease = await diskBytes(path.join(releaseOf(record), "node_modules"));
  const kept = await diskBytes(
    cacheDirs(stack.config.dataDir).project(await projectId("amplified")).nodeModules,
  );
  expect(inRelease).toBeLessThan(3 * 1024 * 1024);
  expect(kept).toBeLessThan(2 * inRelease + 1024 * 1024);
});

it("hard links in a build cache do not get it past BUILD_CACHE_MAX_MB", async () => {
  // saveBuildCache (build-cache.ts) measures with `du -s` (each inode once) and copies with
  // `cp -R -P` (each name a new file): 800 KB linked 60 times is "0.8 MB" and keeps 48 MB.
  const repo = await fixtureRepo("node-http", {
    "bloat.cjs": `const fs = require("node:fs");
fs.mkdirSync("node_modules/.cache", { recursive: true });
fs.writeFileSync("node_modules/.cache/blob", require("node:crypto").randomBytes(800 * 1024));
for (let i = 0; i < 60; i++) fs.linkSync("node_modules/.cache/blob", "node_modules/.cache/link-" + i);`,
    "coduck.json": JSON.stringify({ build: "node scripts/build.js && node bloat.cjs" }),
  });
  const record = await deployed("bloated", repo.dir);
  expect(record.status).toBe("succeeded");
  const build = cacheDirs(stack.config.dataDir).project(await projectId("bloated")).build;
  const kept = await diskBytes(build).catch(() => 0);
  expect(kept).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
});

it("a tenant who knows only a package's integrity cannot read another tenant's copy of it", async () => {
  // The store hands any install the content of every sha512 its lockfile names (seedFromStore).
  // A private package (a private registry's tarball, fetched with Alice's token) is harvested
  // into the shared store like any other; its integrity sits in Alice's lockfile, often public.
  // Mallory names that integrity and reads the tarball from her scratch cache.
  const secret = `PRIVATE-PACKAGE-${randomBytes(12).toString("hex")}`;
  const integrity = `sha512-${createHash("sha512").update(secret).digest("base64")}`;
  const lockfile = await lockfileNaming(integrity);
  const alice = await fixtureRepo("node-http", {
    "package-lock.json": lockfile,
    "src/index.js": PLAIN_SERVER,
    // Stands for npm fetching the private tarball into its cache.
    "fetch.cjs": `${GHOST_PATH}
fs.mkdirSync(path.dirname(ghost), { recursive: true });
fs.writeFileSync(ghost, ${JSON.stringify(secret)});`,
    "coduck.json": JSON.stringify({ install: "node fetch.cjs" }),
  });
  const first = await deployed("alice-private", alice.dir);
  expect(stepLog(first, "install")).toMatch(/package store: 1 packages added/);

  const mallory = await fixtureRepo("node-http", {
    "package-lock.json": lockfile,
    "src/index.js": PLAIN_SERVER,
    "peek.cjs": `${GHOST_PATH}
let seen = "absent"; try { seen = fs.readFileSync(ghost, "utf8"); } catch (e) { seen = e.code; }
console.log("peek: " + seen);`,
    "coduck.json": JSON.stringify({ install: "node peek.cjs" }),
  });
  const peek = await deployed("mallory-peek", mallory.dir);
  expect(stepLog(peek, "install")).toMatch(/peek: /);
  expect(stepLog(peek, "install")).not.toContain(secret);
});

it("a file descriptor in flight to the live release cannot write the kept node_modules", async () => {
  // An npm install's tree is kept by moving it into the cache and linking it back (no copy):
  // sound only if no process outside the install's box can hold a descriptor of its files. A
  // descriptor sent over a unix socket and not yet received (SCM_RIGHTS in flight) is in no
  // process's table, so no scan of /proc would find it: the install's postinstall tries to hand
  // one to the live release through a socket in the project's HOME, and the live release writes
  // through it once the next deploy's build runs (after the tree was kept). The install runs
  // with a HOME of its own, so it finds no socket: nothing is handed over, and what the next
  // deploy restores is what npm installed.
  const holder = `import os, socket, time
home = os.environ["HOME"]
sock = os.path.join(home, "fd.sock")
try: os.unlink(sock)
except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sock); s.listen(1)
conn, _ = s.accept()
open(os.path.join(home, "accepted"), "w").write("yes")
while not os.path.exists(os.path.join(home, "go")): time.sleep(0.05)
_, fds, _, _ = socket.recv_fds(conn, 16, 4)
os.ftruncate(fds[0], 0)
os.pwrite(fds[0], b"module.exports = () => 'tampered';\\n", 0)
open(os.path.join(home, "done"), "w").write("written")
`;
  const sender = `import os, socket
home = os.environ["HOME"]
sock = os.path.join(home, "fd.sock")
if os.path.exists(sock):
    fd = os.open("node_modules/is-number/index.js", os.O_RDWR)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(sock)
    socket.send_fds(c, [b"x"], [fd])
    c.close(); os.close(fd)
    print("handed over")
else:
    print("no socket in HOME " + home)
`;
  const wait = `const fs = require("node:fs"), path = require("node:path");
const home = process.env.HOME;
if (fs.existsSync(path.join(home, "accepted"))) {
  fs.writeFileSync(path.join(home, "go"), "");
  const until = Date.now() + 15000;
  while (!fs.existsSync(path.join(home, "done")) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
}`;
  const start = `import { spawn } from "node:child_process";
spawn("python3", ["holder.py"], { stdio: "ignore" });
await import("./index.js");
`;
  const repo = await fixtureRepo("node-http", {
    "holder.py": holder,
    "send.py": sender,
    "wait.cjs": wait,
    "src/start.js": start,
    "coduck.json": JSON.stringify({ build: "node wait.cjs && node scripts/build.js" }),
  });
  const manifest = JSON.parse(await readFile(path.join(repo.dir, "package.json"), "utf8"));
  manifest.scripts.postinstall = "python3 send.py";
  manifest.scripts.start = "node src/start.js";
  await repo.commit({ "package.json": JSON.stringify(manifest, null, 2) }, "hand-off");

  const first = await deployed("handoff", repo.dir);
  expect(first.status).toBe("succeeded");
  const genuine = await readFile(
    path.join(releaseOf(first), "node_modules/is-number/index.js"),
    "utf8",
  );
  // Kept without a copy: the release's file is the kept one, root's and read-only.
  expect(stepLog(first, "install")).toMatch(/node_modules cached for .*moved and linked back/);
  const kept = await lstat(path.join(releaseOf(first), "node_modules/is-number/index.js"));
  expect({ uid: kept.uid, nlink: kept.nlink, othersWrite: (kept.mode & 0o022) !== 0 }).toEqual({
    uid: 0,
    nlink: 2,
    othersWrite: false,
  });

  // A changed lockfile: a fresh install, which looks for the live release's socket.
  const lockfile = await readFile(path.join(repo.dir, "package-lock.json"), "utf8");
  await repo.commit({ "package-lock.json": `${lockfile}\n` }, "new lockfile");
  const second = await deployed("handoff", repo.dir);
  expect(second.status).toBe("succeeded");
  expect(stepLog(second, "install")).toMatch(/no socket in HOME .*\.coduck-home-/);
  expect(stepLog(second, "install")).not.toMatch(/handed over/);

  // A code-only redeploy reuses what the second one kept.
  await repo.commit({ "README.md": "code only" }, "code only");
  const third = await deployed("handoff", repo.dir);
  expect(third.status).toBe("succeeded");
  expect(stepLog(third, "install")).toMatch(/reused node_modules/);
  expect(
    await readFile(path.join(releaseOf(third), "node_modules/is-number/index.js"), "utf8"),
  ).toBe(genuine);
});

it("a live release holding the next release's directory cannot swap a link under a kept build cache path", async () => {
  // saveBuildCache (build-cache.ts) checks the path's directories with lstat
  // (realDirectoryChain) and then runs `cp -R -P -- <release>/x/etc …` as root, by path. Its
  // comment assumes no app process can change the release after the build: the build hands the
  // release directory's descriptor to the live release (a unix socket in the project's HOME),
  // which swaps `x` for a link to a host directory the moment root's `du` opens x/etc. Root then
  // copies the host's directory into the cache, and the next deploy restores it as the app's.
  const hostParent = await mkdtemp(path.join(os.tmpdir(), "coduck-race-host-"));
  const decoy = `HOST-DECOY-${randomBytes(6).toString("hex")}`;
  await mkdir(path.join(hostParent, "etc"), { mode: 0o700 });
  await writeFile(path.join(hostParent, "etc", "shadow"), decoy, { mode: 0o600 });
  const holder = `import ctypes, os, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
home = os.environ["HOME"]
sock = os.path.join(home, "race.sock")
try: os.unlink(sock)
except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sock); s.listen(4)
while True:
    conn, _ = s.accept()
    _, fds, _, _ = socket.recv_fds(conn, 16, 4)
    d = fds[0]
    ino = libc.inotify_init1(0)
    libc.inotify_add_watch(ino, ("/proc/self/fd/%d/x/etc" % d).encode(), 0x20)
    conn.send(b"k"); conn.close()
    seen = 0
    while seen < 1:
        buf = os.read(ino, 65536); i = 0
        while i < len(buf):
            wd, mask, cookie, ln = struct.unpack_from("iIII", buf, i); i += 16 + ln
            if mask & 0x40000000 and ln == 0: seen += 1
    r = libc.renameat2(d, b"x", d, b"y", 2)
    open(os.path.join(home, "race.log"), "a").write("swapped %d\\n" % r)
`;
  const arm = `import os, socket
p = os.path.join(os.environ["HOME"], "race.sock")
if os.path.exists(p):
    d = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(p)
    socket.send_fds(c, [b"d"], [d]); c.recv(1); c.close()
    print("race armed")
`;
  const prep = `const fs = require("node:fs");
fs.rmSync("x", { recursive: true, force: true }); fs.rmSync("y", { force: true });
fs.mkdirSync("x/etc", { recursive: true });
for (let i = 0; i < 5000; i++) fs.writeFileSync("x/etc/f" + i, "");
fs.symlinkSync(${JSON.stringify(hostParent)}, "y");`;
  const start = `import { spawn } from "node:child_process";
spawn("python3", ["race-holder.py"], { stdio: "ignore" });
await import("./index.js");
`;
  const repo = await fixtureRepo("node-http", {
    "race-holder.py": holder,
    "arm.py": arm,
    "prep.cjs": prep,
    "src/start.js": start,
    "tsconfig.json": JSON.stringify({ compilerOptions: { incremental: true, outDir: "x/etc" } }),
    "coduck.json": JSON.stringify({
      build: "node scripts/build.js && node prep.cjs && python3 arm.py",
    }),
  });
  const manifest = JSON.parse(await readFile(path.join(repo.dir, "package.json"), "utf8"));
  manifest.scripts.start = "node src/start.js";
  await repo.commit({ "package.json": JSON.stringify(manifest, null, 2) }, "race");
  try {
    const first = await deployed("race-next", repo.dir);
    expect(first.status).toBe("succeeded");
    await repo.commit({ "README.md": "armed" }, "armed");
    const second = await deployed("race-next", repo.dir);
    expect(second.status).toBe("succeeded");
    expect(stepLog(second, "build")).toMatch(/race armed/);
    // The next deploy restores what was kept (its build leaves x alone).
    await repo.commit(
      { "coduck.json": JSON.stringify({ build: "node scripts/build.js" }) },
      "plain",
    );
    const third = await deployed("race-next", repo.dir);
    const restored = path.join(releaseOf(third), "x", "etc");
    const leaked = await readFile(path.join(restored, "shadow"), "utf8").catch(() => "");
    expect(leaked).not.toContain(decoy);
    const cache = cacheDirs(stack.config.dataDir).project(await projectId("race-next")).build;
    const { stdout } = await execa("grep", ["-r", "-l", decoy, "--", cache], { reject: false });
    expect(stdout).toBe("");
  } finally {
    await rm(hostParent, { recursive: true, force: true });
  }
});

it("a live release holding the next release's directory cannot make root link and chmod a host file into the kept node_modules", async () => {
  // The first version of saveNodeModules (node-modules-cache.ts) ran `cp -R -l -P` of the
  // release's node_modules by path as root, then chown -R root and chmod -R a+r on the linked
  // tree. The install handed the release directory's descriptor to the live release, which
  // swapped node_modules/zz for a link to a host directory once cp had listed zz: cp then
  // hard-linked the host's file of the same name into the cache, takeOver made it
  // world-readable (the host's inode), and the next deploy restored it into the release. The
  // save now works as root on the tree again (moves it, links it back), which is sound only
  // because the install, with a HOME of its own, cannot reach the live release at all.
  const hostDir = await mkdtemp(path.join(os.tmpdir(), "coduck-race-nm-"));
  const decoy = `HOST-DECOY-${randomBytes(6).toString("hex")}`;
  const names = Array.from({ length: 3000 }, (_, i) => `f${i}`);
  for (const name of names) await writeFile(path.join(hostDir, name), "", { mode: 0o600 });
  await writeFile(path.join(hostDir, "secret"), decoy, { mode: 0o600 });
  const holder = `import ctypes, os, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
home = os.environ["HOME"]
sock = os.path.join(home, "race.sock")
try: os.unlink(sock)
except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sock); s.listen(4)
while True:
    conn, _ = s.accept()
    _, fds, _, _ = socket.recv_fds(conn, 16, 4)
    d = fds[0]
    ino = libc.inotify_init1(0)
    libc.inotify_add_watch(ino, ("/proc/self/fd/%d/node_modules/zz" % d).encode(), 0x20)
    conn.send(b"k"); conn.close()
    seen = 0
    while seen < 2:
        buf = os.read(ino, 65536); i = 0
        while i < len(buf):
            wd, mask, cookie, ln = struct.unpack_from("iIII", buf, i); i += 16 + ln
            if mask & 0x40000000 and ln == 0: seen += 1
    r = libc.renameat2(d, b"node_modules/zz", d, b"node_modules/yy", 2)
    open(os.path.join(home, "race.log"), "a").write("swapped %d\\n" % r)
`;
  const arm = `import os, socket
p = os.path.join(os.environ["HOME"], "race.sock")
os.makedirs("node_modules/zz", exist_ok=True)
for n in ${JSON.stringify(names)} + ["secret"]: open(os.path.join("node_modules/zz", n), "w").close()
try: os.unlink("node_modules/yy")
except FileNotFoundError: pass
os.symlink(${JSON.stringify(hostDir)}, "node_modules/yy")
if os.path.exists(p):
    d = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(p)
    socket.send_fds(c, [b"d"], [d]); c.recv(1); c.close()
    print("race armed")
else:
    print("no socket in HOME")
`;
  const start = `import { spawn } from "node:child_process";
spawn("python3", ["race-holder.py"], { stdio: "ignore" });
await import("./index.js");
`;
  const repo = await fixtureRepo("node-http", {
    "race-holder.py": holder,
    "arm.py": arm,
    "src/start.js": start,
  });
  const manifest = JSON.parse(await readFile(path.join(repo.dir, "package.json"), "utf8"));
  manifest.scripts.start = "node src/start.js";
  manifest.scripts.postinstall = "python3 arm.py";
  await repo.commit({ "package.json": JSON.stringify(manifest, null, 2) }, "race");
  try {
    const first = await deployed("race-modules", repo.dir);
    expect(first.status).toBe("succeeded");
    const lockfile = await readFile(path.join(repo.dir, "package-lock.json"), "utf8");
    await repo.commit({ "package-lock.json": `${lockfile}\n` }, "new lockfile");
    const second = await deployed("race-modules", repo.dir);
    expect(stepLog(second, "install")).toMatch(/no socket in HOME/);
    expect(stepLog(second, "install")).toMatch(/moved and linked back/);
    await repo.commit({ "README.md": "code only" }, "code only");
    const third = await deployed("race-modules", repo.dir);
    expect((await lstat(path.join(hostDir, "secret"))).mode & 0o777).toBe(0o600);
    const restored = path.join(releaseOf(third), "node_modules", "zz", "secret");
    // Read only what is in the release: when the third deploy installs afresh, the live release
    // swaps its zz for the link again, which this test (root) must not follow itself.
    const inRelease = (await realpath(restored).catch(() => "")).startsWith(releaseOf(third));
    const content = inRelease ? await readFile(restored, "utf8").catch(() => "") : "";
    expect(content).not.toContain(decoy);
  } finally {
    await rm(hostDir, { recursive: true, force: true });
  }
});

it("a live release holding the next release's directory cannot make root restore a build cache into, and chown, a host directory", async () => {
  // restoreBuildCache (build-cache.ts) runs in the build step, after the install's commands:
  // the install (coduck.json's own, which runs with the project's HOME: an npm install with a
  // HOME of its own could not reach the live release) hands the release's descriptor to the
  // live release, which swaps `x` for a link to a host directory as soon as root's `cp`
  // creates x/etc. cp writes the rest by path through the link, and
  // `chown -R -h -P <app> <release>/x/etc` then follows `x` too.
  const hostParent = await mkdtemp(path.join(os.tmpdir(), "coduck-race-restore-"));
  await mkdir(path.join(hostParent, "etc"), { mode: 0o755 });
  await writeFile(path.join(hostParent, "etc", "hosts"), "host's own", { mode: 0o644 });
  const holder = `import ctypes, os, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
home = os.environ["HOME"]
sock = os.path.join(home, "race.sock")
try: os.unlink(sock)
except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sock); s.listen(4)
while True:
    conn, _ = s.accept()
    _, fds, _, _ = socket.recv_fds(conn, 16, 4)
    d = fds[0]
    ino = libc.inotify_init1(0)
    libc.inotify_add_watch(ino, ("/proc/self/fd/%d/x" % d).encode(), 0x100)
    conn.send(b"k"); conn.close()
    done = False
    while not done:
        buf = os.read(ino, 65536); i = 0
        while i < len(buf):
            wd, mask, cookie, ln = struct.unpack_from("iIII", buf, i)
            name = buf[i + 16:i + 16 + ln].rstrip(b"\\0"); i += 16 + ln
            if name == b"etc": done = True
    r = libc.renameat2(d, b"x", d, b"y", 2)
    open(os.path.join(home, "race.log"), "a").write("swapped %d\\n" % r)
`;
  const arm = `import os, socket
p = os.path.join(os.environ["HOME"], "race.sock")
try: os.unlink("y")
except FileNotFoundError: pass
os.symlink(${JSON.stringify(hostParent)}, "y")
if os.path.exists(p):
    d = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(p)
    socket.send_fds(c, [b"d"], [d]); c.recv(1); c.close()
    print("race armed")
`;
  const fill = `const fs = require("node:fs");
if (!fs.existsSync("x/etc")) {
  fs.mkdirSync("x/etc", { recursive: true });
  for (let i = 0; i < 150; i++) fs.writeFileSync("x/etc/planted-" + i, "tenant's");
}`;
  const start = `import { spawn } from "node:child_process";
spawn("python3", ["race-holder.py"], { stdio: "ignore" });
await import("./index.js");
`;
  const repo = await fixtureRepo("node-http", {
    "race-holder.py": holder,
    "arm.py": arm,
    "fill.cjs": fill,
    "src/start.js": start,
    "tsconfig.json": JSON.stringify({ compilerOptions: { incremental: true, outDir: "x/etc" } }),
    "coduck.json": JSON.stringify({
      install: "npm ci && python3 arm.py",
      build: "node scripts/build.js && node fill.cjs",
    }),
  });
  const manifest = JSON.parse(await readFile(path.join(repo.dir, "package.json"), "utf8"));
  manifest.scripts.start = "node src/start.js";
  await mkdir(path.join(repo.dir, "x"));
  await repo.commit(
    { "package.json": JSON.stringify(manifest, null, 2), "x/keep": "x exists in the checkout" },
    "race",
  );
  try {
    const first = await deployed("race-restore", repo.dir);
    expect(first.status).toBe("succeeded");
    expect(stepLog(first, "build")).toMatch(/build cache kept: x\/etc/);
    const lockfile = await readFile(path.join(repo.dir, "package-lock.json"), "utf8");
    await repo.commit({ "package-lock.json": `${lockfile}\n` }, "new lockfile");
    const second = await deployed("race-restore", repo.dir);
    expect(stepLog(second, "install")).toMatch(/race armed/);
    const owners = [];
    for (const name of ["", ...(await readdir(path.join(hostParent, "etc")))])
      owners.push(`${name} ${(await lstat(path.join(hostParent, "etc", name))).uid}`);
    expect(owners).toEqual([" 0", "hosts 0"]);
  } finally {
    await rm(hostParent, { recursive: true, force: true });
  }
});
