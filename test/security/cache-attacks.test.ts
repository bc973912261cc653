import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import { execa } from "execa";
import { cacheDirs } from "../../src/caches/cache-dirs.js";
import type { DeploymentRecord } from "../../src/store/deployment-record.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// A hostile tenant against the dependency and build caches (issue 23), through the real worker
// and bubblewrap: links planted by a checkout or a build that would make root copy host files
// into a cache, or write a cache into a host directory; tsconfig paths out of the app; two
// projects whose install keys are equal. Each test asserts the defence that holds.
jest.setTimeout(600_000);

const DECOY = `HOST-DECOY-${randomBytes(6).toString("hex")}`;
let stack: TestStack;
/** Root-owned, outside every release: what the links point at. */
let outside: string;

beforeAll(async () => {
  stack = await createTestStack({ SANDBOX: "bwrap" });
  await stack.startWorker();
  outside = await mkdtemp(path.join(os.tmpdir(), "coduck-cache-host-"));
});
afterAll(async () => {
  await stack?.close();
  if (outside) await rm(outside, { recursive: true, force: true });
});

async function deployed(project: string, repoUrl: string): Promise<DeploymentRecord> {
  return stack.waitForEnd(await stack.deploy({ project, repoUrl }), 240_000);
}

function stepLog(record: DeploymentRecord, name: string): string {
  return record.steps.find((s) => s.name === name)?.logTail ?? "";
}

function releaseOf(record: DeploymentRecord): string {
  return path.join(stack.config.dataDir, "releases", record.project, `${record.id}-1`);
}

async function projectCache(slug: string) {
  const { id } = await stack.db.project.findUniqueOrThrow({ where: { slug } });
  return cacheDirs(stack.config.dataDir).project(id);
}

/** Every file's bytes under `dir` (links not followed), joined: what a decoy must not be in. */
async function contentsUnder(dir: string): Promise<string> {
  const { stdout } = await execa("grep", ["-r", "-a", "-o", "HOST-DECOY-[0-9a-f]*", "--", dir], {
    reject: false,
  });
  return stdout;
}

/** A host directory holding `cache/secret` with the decoy, root's and 0700. */
async function hostCacheDir(): Promise<{ dir: string; listing: () => Promise<string[]> }> {
  const dir = await mkdtemp(path.join(outside, "host-"));
  await mkdir(path.join(dir, "cache"), { mode: 0o700 });
  await writeFile(path.join(dir, "cache", "secret"), DECOY, { mode: 0o600 });
  return { dir, listing: async () => (await readdir(dir, { recursive: true })).sort() };
}

it("does not keep a host directory that the build swapped in for .next or node_modules/.cache", async () => {
  const host = await hostCacheDir();
  const repo = await fixtureRepo("node-http", {
    "swap.cjs": `const fs = require("node:fs");
fs.rmSync(".next", { recursive: true, force: true });
fs.symlinkSync(${JSON.stringify(host.dir)}, ".next");
fs.rmSync("node_modules/.cache", { recursive: true, force: true });
fs.symlinkSync(${JSON.stringify(path.join(host.dir, "cache"))}, "node_modules/.cache");`,
    "coduck.json": JSON.stringify({ build: "node scripts/build.js && node swap.cjs" }),
  });
  const record = await deployed("swap-next", repo.dir);
  expect(record.status).toBe("succeeded");
  expect(stepLog(record, "build")).not.toMatch(/build cache kept/);
  // The swap happened: both are links in the release.
  expect((await lstat(path.join(releaseOf(record), ".next"))).isSymbolicLink()).toBe(true);
  expect(
    (await lstat(path.join(releaseOf(record), "node_modules", ".cache"))).isSymbolicLink(),
  ).toBe(true);
  const cache = await projectCache("swap-next");
  expect(await contentsUnder(cache.dir)).toBe("");
  expect(await host.listing()).toEqual(["cache", "cache/secret"]);
});

it("does not restore a build cache through a .next the checkout commits as a link to a host directory", async () => {
  const host = await hostCacheDir();
  await rm(path.join(host.dir, "cache"), { recursive: true });
  const repo = await fixtureRepo("node-http", {
    "fill.cjs": `const fs = require("node:fs");
fs.mkdirSync(".next/cache", { recursive: true });
fs.writeFileSync(".next/cache/kept", "from the last build");`,
    "coduck.json": JSON.stringify({ build: "node scripts/build.js && node fill.cjs" }),
  });
  const first = await deployed("linked-next", repo.dir);
  expect(stepLog(first, "build")).toMatch(/build cache kept: \.next\/cache/);

  await symlink(host.dir, path.join(repo.dir, ".next"));
  await repo.commit({ "coduck.json": JSON.stringify({ build: "node scripts/build.js" }) }, "link");
  const second = await deployed("linked-next", repo.dir);
  expect(second.status).toBe("succeeded");
  expect(stepLog(second, "build")).toMatch(/build cache: nothing to restore/);
  expect(await host.listing()).toEqual([]);
  expect((await lstat(path.join(releaseOf(second), ".next"))).isSymbolicLink()).toBe(true);
});

it("keeps no tsc state from an outDir or tsBuildInfoFile outside the app", async () => {
  const host = await hostCacheDir();
  const decoyInfo = path.join(host.dir, "cache", "secret");
  const repo = await fixtureRepo("ts-app");
  const tsconfig = JSON.parse(await readFile(path.join(repo.dir, "tsconfig.json"), "utf8"));
  for (const [outDir, buildInfo] of [
    [host.dir, decoyInfo],
    ["../../../../../../../../..", `../../../../../../../..${decoyInfo}`],
    ["dist/../../x", "./node_modules/../../x.tsbuildinfo"],
  ]) {
    tsconfig.compilerOptions = {
      ...tsconfig.compilerOptions,
      incremental: true,
      outDir,
      tsBuildInfoFile: buildInfo,
    };
    await repo.commit({ "tsconfig.json": JSON.stringify(tsconfig) }, `outDir ${outDir}`);
    const record = await deployed("ts-outside", repo.dir);
    expect(stepLog(record, "build")).toMatch(
      /TypeScript's incremental state not kept: tsconfig\.json has no outDir/,
    );
  }
  const cache = await projectCache("ts-outside");
  expect(await contentsUnder(cache.dir)).toBe("");
  expect(await host.listing()).toEqual(["cache", "cache/secret"]);
});

it("keeps a link in a build cache as a link: the next release gets no host file's content", async () => {
  const host = await hostCacheDir();
  const repo = await fixtureRepo("node-http", {
    "plant.cjs": `const fs = require("node:fs");
fs.mkdirSync("node_modules/.cache", { recursive: true });
try { fs.symlinkSync(${JSON.stringify(path.join(host.dir, "cache", "secret"))}, "node_modules/.cache/leak"); } catch {}
try { fs.symlinkSync(${JSON.stringify(path.join(host.dir, "cache"))}, "node_modules/.cache/dir"); } catch {}
fs.writeFileSync("node_modules/.cache/own", "own");`,
    "coduck.json": JSON.stringify({ build: "node scripts/build.js && node plant.cjs" }),
  });
  const first = await deployed("cache-links", repo.dir);
  expect(stepLog(first, "build")).toMatch(/build cache kept: node_modules\/\.cache/);
  await repo.commit({ "README.md": "again" }, "again");
  const second = await deployed("cache-links", repo.dir);
  expect(second.status).toBe("succeeded");
  expect(stepLog(second, "build")).toMatch(/build cache restored: node_modules\/\.cache/);
  const cache = await projectCache("cache-links");
  expect(await contentsUnder(cache.dir)).toBe("");
  expect(await contentsUnder(path.join(releaseOf(second), "node_modules", ".cache"))).toBe("");
  expect(await host.listing()).toEqual(["cache", "cache/secret"]);
});

it("removes a committed node_modules link before a restore, never the host directory it names", async () => {
  const host = await hostCacheDir();
  const repo = await fixtureRepo("node-http");
  const first = await deployed("linked-modules", repo.dir);
  expect(stepLog(first, "install")).toMatch(/node_modules cached for/);
  await symlink(host.dir, path.join(repo.dir, "node_modules"));
  await repo.commit({}, "link node_modules");
  const second = await deployed("linked-modules", repo.dir);
  expect(second.status).toBe("succeeded");
  expect(stepLog(second, "install")).toMatch(/reused node_modules/);
  expect(await host.listing()).toEqual(["cache", "cache/secret"]);
  expect((await lstat(path.join(releaseOf(second), "node_modules"))).isDirectory()).toBe(true);
});

it("never gives one project the node_modules another kept under the same install key", async () => {
  // The install key (lockfile, package.json dependencies and install scripts, Node, npm,
  // platform) is equal for both; only a file outside the key makes Alice's install mark its tree.
  const mark = `ALICE-MARK-${randomBytes(6).toString("hex")}`;
  const script = `const fs = require("node:fs");
if (fs.existsSync("mark-me")) fs.appendFileSync("node_modules/is-number/index.js", "\\n// ${mark}\\n");`;
  const withScript = async (files: Record<string, string>) => {
    const repo = await fixtureRepo("node-http", { "mark.cjs": script, ...files });
    const manifest = JSON.parse(await readFile(path.join(repo.dir, "package.json"), "utf8"));
    manifest.scripts.postinstall = "node mark.cjs";
    await repo.commit({ "package.json": JSON.stringify(manifest, null, 2) }, "postinstall");
    return repo;
  };
  const alice = await deployed("alice-key", (await withScript({ "mark-me": "" })).dir);
  expect(alice.status).toBe("succeeded");
  expect(
    await readFile(path.join(releaseOf(alice), "node_modules/is-number/index.js"), "utf8"),
  ).toContain(mark);
  const bob = await deployed("bob-key", (await withScript({})).dir);
  expect(bob.status).toBe("succeeded");
  expect(stepLog(bob, "install")).toMatch(/node_modules not reused: no cache yet/);
  expect(
    await readFile(path.join(releaseOf(bob), "node_modules/is-number/index.js"), "utf8"),
  ).not.toContain(mark);
});

it("keeps a live release's ~/.npmrc out of the next npm install", async () => {
  // The live release shares the project's HOME with the next deploy's build and start. A
  // release taken over at run time plants `node-options` in ~/.npmrc there, so that npm would
  // load its code into every lifecycle script of every later install (persisting past a fix
  // of the app). The install that follows a lockfile runs with a HOME of its own instead.
  const plant = `import { writeFileSync } from "node:fs";
import { join } from "node:path";
writeFileSync(join(process.env.HOME, "planted.cjs"), 'console.log("planted code ran in " + process.env.npm_lifecycle_event);');
writeFileSync(join(process.env.HOME, ".npmrc"), "node-options=--require=" + join(process.env.HOME, "planted.cjs") + "\\n");
await import("./index.js");
`;
  const repo = await fixtureRepo("node-http", { "src/plant.js": plant });
  const manifest = JSON.parse(await readFile(path.join(repo.dir, "package.json"), "utf8"));
  manifest.scripts.start = "node src/plant.js";
  manifest.scripts.postinstall = 'node -e "console.log(1 + 1)"';
  await repo.commit({ "package.json": JSON.stringify(manifest, null, 2) }, "plant");
  const first = await deployed("npmrc-plant", repo.dir);
  expect(first.status).toBe("succeeded");
  const home = path.join(stack.config.dataDir, "homes", "npmrc-plant");
  expect(await readFile(path.join(home, ".npmrc"), "utf8")).toContain("node-options");

  // A fresh install (the lockfile changed) runs the postinstall: without the planted code.
  const lockfile = await readFile(path.join(repo.dir, "package-lock.json"), "utf8");
  await repo.commit({ "package-lock.json": `${lockfile}\n` }, "new lockfile");
  const second = await deployed("npmrc-plant", repo.dir);
  expect(second.status).toBe("succeeded");
  expect(stepLog(second, "install")).toMatch(/^2$/m);
  expect(stepLog(second, "install")).not.toMatch(/planted code ran/);
});
