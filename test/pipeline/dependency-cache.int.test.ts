import { createHash, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { cacheDirs } from "../../src/caches/cache-dirs.js";
import { contentPath, lockfileIntegrities } from "../../src/caches/package-store.js";
import { pruneCaches } from "../../src/housekeeping/prune-caches.js";
import type { DeploymentRecord } from "../../src/store/deployment-record.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Real deploys through the worker, with bubblewrap, from the npm registry: minutes, not seconds.
jest.setTimeout(600_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ BUILD_CACHE_MAX_MB: "1" });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
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

async function projectId(slug: string): Promise<string> {
  return (await stack.db.project.findUniqueOrThrow({ where: { slug } })).id;
}

/** Tries every way of writing a file of node_modules from inside the box, and says how each went. */
const ATTACK = `
const fs = require("node:fs");
const file = "node_modules/is-number/index.js";
const tried = {};
const attempt = (name, act) => { try { act(); tried[name] = "done"; } catch (e) { tried[name] = e.code; } };
attempt("append", () => fs.appendFileSync(file, "\\nmodule.exports = () => 'tampered';\\n"));
attempt("openForWriting", () => fs.closeSync(fs.openSync(file, "r+")));
attempt("truncate", () => fs.truncateSync(file, 0));
attempt("chmod", () => fs.chmodSync(file, 0o666));
attempt("utimes", () => fs.utimesSync(file, new Date(0), new Date(0)));
// Its own release may replace the name: a new file, not the kept one.
attempt("replace", () => { fs.rmSync(file); fs.writeFileSync(file, "module.exports = () => 'replaced';"); });
// What builds rewrite in place (prisma generate) is the release's own copy.
attempt("generated", () => fs.writeFileSync("node_modules/.prisma/client/index.js", "regenerated"));
fs.writeFileSync("attack.json", JSON.stringify(tried));
`;

/** What ATTACK finds in a node_modules whose files are kept (root's, read-only). */
const KEPT_FILE_REFUSES = {
  append: "EACCES",
  openForWriting: "EACCES",
  truncate: "EACCES",
  chmod: "EPERM",
  utimes: "EPERM",
  replace: "done",
  generated: "done",
};

describe("the shared package store", () => {
  it("a tenant cannot put tampered content into another tenant's install", async () => {
    const store = cacheDirs(stack.config.dataDir).packages;
    const genuine = await fixtureRepo("node-http");
    const [integrity] = lockfileIntegrities(
      await readFile(path.join(genuine.dir, "package-lock.json"), "utf8"),
    );
    const kept = contentPath(store, integrity!);

    // 1. Mallory's install runs first: it writes a tampered tarball where npm's cache keeps
    // is-number's content, and where it guesses the host's store is; it never installs.
    const poison = `
const fs = require("node:fs"), path = require("node:path");
const lock = require("./package-lock.json");
const integrity = lock.packages["node_modules/is-number"].integrity;
const hex = Buffer.from(integrity.slice(7), "base64").toString("hex");
const where = (root) => path.join(root, "content-v2", "sha512", hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
const tried = {};
for (const [name, root] of [["scratch", path.join(process.env.npm_config_cache, "_cacache")], ["store", ${JSON.stringify(store)}]]) {
  try {
    const file = where(root);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try { fs.rmSync(file); } catch {}
    fs.writeFileSync(file, "tampered");
    tried[name] = "written";
  } catch (e) { tried[name] = e.code; }
}
console.log("poison: " + JSON.stringify(tried));
`;
    const mallory = await fixtureRepo("node-http", {
      "poison.cjs": poison,
      "coduck.json": JSON.stringify({ install: "node poison.cjs" }),
    });
    const attack = await deployed("mallory", mallory.dir);
    const install = stepLog(attack, "install");
    expect(install).toMatch(/poison: \{"scratch":"written","store":"\w+"\}/);
    expect(install).toMatch(/package store: 0 packages added, 1 refused/);
    // What Mallory wrote at the store's path landed in its box's own empty view, not the host's.
    await expect(stat(kept)).rejects.toMatchObject({ code: "ENOENT" });

    // 2. Victim's install gets the genuine package, and the store now holds it, verified.
    const victim = await deployed("victim", genuine.dir);
    expect(victim.status).toBe("succeeded");
    const installed = await readFile(
      path.join(releaseOf(victim), "node_modules/is-number/index.js"),
      "utf8",
    );
    expect(installed).not.toMatch(/tampered/);
    expect(installed).toMatch(/module\.exports/);
    const digest = createHash("sha512")
      .update(await readFile(kept))
      .digest();
    expect(digest.equals(integrity!.digest)).toBe(true);
    expect((await stat(kept)).uid).toBe(0);

    // 3. Mallory again, now that the store has it: the linked file is read-only to its box.
    await mallory.commit({ "README.md": "again" });
    const again = await deployed("mallory", mallory.dir);
    expect(stepLog(again, "install")).toMatch(/package store: 1 of 1 packages already here/);
    const stillGenuine = createHash("sha512")
      .update(await readFile(kept))
      .digest();
    expect(stillGenuine.equals(integrity!.digest)).toBe(true);

    // 4. A new tenant's first install is seeded from the store, and gets the genuine content.
    const newcomer = await deployed("newcomer", genuine.dir);
    expect(newcomer.status).toBe("succeeded");
    expect(stepLog(newcomer, "install")).toMatch(/package store: 1 of 1 packages already here/);
    expect(
      await readFile(path.join(releaseOf(newcomer), "node_modules/is-number/index.js"), "utf8"),
    ).toBe(installed);
  });
});

describe("dependency reuse", () => {
  let repo: Awaited<ReturnType<typeof fixtureRepo>>;
  let original: string;

  it("reuses node_modules on an unchanged lockfile, and a release writing into them cannot change the next deploy's", async () => {
    // Its own postinstall writes node_modules/.prisma/client, as @prisma/client's does.
    const manifest = JSON.parse(
      await readFile(path.join(fixtureDir("node-http"), "package.json"), "utf8"),
    );
    manifest.scripts.postinstall =
      "mkdir -p node_modules/.prisma/client && echo generated > node_modules/.prisma/client/index.js";
    repo = await fixtureRepo("node-http", { "package.json": JSON.stringify(manifest) });
    const first = await deployed("reuse", repo.dir);
    expect(first.status).toBe("succeeded");
    expect(stepLog(first, "install")).toMatch(/node_modules not reused: no cache yet/);
    expect(stepLog(first, "install")).toMatch(
      /node_modules cached for package-lock\.json [0-9a-f]{4}…/,
    );
    original = await readFile(
      path.join(releaseOf(first), "node_modules/is-number/index.js"),
      "utf8",
    );

    // A code-only redeploy whose build attacks its node_modules.
    await repo.commit({
      "attack.cjs": ATTACK,
      "coduck.json": JSON.stringify({ build: "node attack.cjs && node scripts/build.js" }),
    });
    const attacked = await deployed("reuse", repo.dir);
    expect(attacked.status).toBe("succeeded");
    const install = attacked.steps.find((s) => s.name === "install")!;
    expect(install.logTail).toMatch(
      /reused node_modules for package-lock\.json [0-9a-f]{4}… \(\d+\.\d s\)/,
    );
    expect(install.command).toMatch(/^reuse node_modules [0-9a-f]{32}$/);
    const tried = JSON.parse(await readFile(path.join(releaseOf(attacked), "attack.json"), "utf8"));
    expect(tried).toEqual(KEPT_FILE_REFUSES);

    // The next deploy gets the installed file, not the attacked release's.
    await repo.commit({ "coduck.json": "{}" });
    const next = await deployed("reuse", repo.dir);
    expect(next.status).toBe("succeeded");
    expect(stepLog(next, "install")).toMatch(/reused node_modules/);
    const restored = path.join(releaseOf(next), "node_modules/is-number/index.js");
    expect(await readFile(restored, "utf8")).toBe(original);
    expect(
      await readFile(path.join(releaseOf(next), "node_modules/.prisma/client/index.js"), "utf8"),
    ).toBe("generated\n");
    const kept = await stat(restored);
    expect({ uid: kept.uid, groupOrOtherWrite: kept.mode & 0o022 }).toEqual({
      uid: 0,
      groupOrOtherWrite: 0,
    });
    expect(kept.nlink).toBeGreaterThanOrEqual(2);
    // Directories are the app's: a build can still add files (node_modules/.prisma, .vite).
    expect((await stat(path.dirname(restored))).uid).not.toBe(0);
    await expect((await fetchApp(next.release!.url)).json()).resolves.toMatchObject({
      app: "node-http",
    });
  });

  it("keeps a fresh npm install as read-only as a reused one, and carries what its scripts left in HOME over to the build", async () => {
    // The install runs with a HOME of its own (so that its tree can be kept without a copy):
    // a download its postinstall makes into ~/.cache (a browser, say) must still reach the
    // build and the release, through the project's HOME.
    const manifest = JSON.parse(
      await readFile(path.join(fixtureDir("node-http"), "package.json"), "utf8"),
    );
    manifest.scripts.postinstall =
      'mkdir -p "$HOME/.cache/tool" && echo downloaded > "$HOME/.cache/tool/version" && chmod 0444 "$HOME/.cache/tool/version" && mkdir -p node_modules/.prisma/client && echo generated > node_modules/.prisma/client/index.js';
    const fresh = await fixtureRepo("node-http", {
      "package.json": JSON.stringify(manifest),
      "attack.cjs": ATTACK,
      "coduck.json": JSON.stringify({
        build:
          'node attack.cjs && cp "$HOME/.cache/tool/version" tool-version && node scripts/build.js',
      }),
    });
    const first = await deployed("fresh-kept", fresh.dir);
    expect(first.status).toBe("succeeded");
    expect(stepLog(first, "install")).toMatch(
      /node_modules cached for .*\(moved and linked back, /,
    );
    expect(stepLog(first, "install")).toMatch(
      /carried over to the project's HOME what the install left in its own: "\.cache"/,
    );
    const tried = JSON.parse(await readFile(path.join(releaseOf(first), "attack.json"), "utf8"));
    expect(tried).toEqual(KEPT_FILE_REFUSES);
    expect(await readFile(path.join(releaseOf(first), "tool-version"), "utf8")).toBe(
      "downloaded\n",
    );
    const left = (await readdir(releaseOf(first))).filter((name) => name.startsWith(".coduck-"));
    expect(left).toEqual([]);

    // The next fresh install downloads the same file again: it replaces the read-only one the
    // project's HOME holds (which a live release may be running), rather than rewriting it.
    const lockfile = await readFile(path.join(fresh.dir, "package-lock.json"), "utf8");
    await fresh.commit({ "package-lock.json": `${lockfile}\n` });
    const again = await deployed("fresh-kept", fresh.dir);
    expect(again.status).toBe("succeeded");
    expect(again.warnings).toEqual([]);
    expect(stepLog(again, "install")).toMatch(/carried over to the project's HOME .*"\.cache"/);
  });

  it("installs again when the lockfile changes, or the Node the cache was made with, and says why", async () => {
    const lockfile = await readFile(path.join(repo.dir, "package-lock.json"), "utf8");
    await repo.commit({ "package-lock.json": `${lockfile}\n` });
    const changed = await deployed("reuse", repo.dir);
    expect(changed.status).toBe("succeeded");
    expect(stepLog(changed, "install")).toMatch(
      /node_modules not reused: package-lock\.json changed/,
    );
    expect(stepLog(changed, "install")).toMatch(/node_modules cached for/);

    // As if the kept tree had been made by Node 18: its key no longer matches.
    const dir = cacheDirs(stack.config.dataDir).project(await projectId("reuse")).nodeModules;
    const latest = JSON.parse(await readFile(path.join(dir, "latest.json"), "utf8"));
    await rename(path.join(dir, latest.key), path.join(dir, "0".repeat(32)));
    latest.inputs.node = "v18.20.4";
    await writeFile(path.join(dir, "latest.json"), JSON.stringify(latest));
    await repo.commit({ "README.md": "node upgrade" });
    const upgraded = await deployed("reuse", repo.dir);
    expect(upgraded.status).toBe("succeeded");
    expect(stepLog(upgraded, "install")).toMatch(
      new RegExp(
        `node_modules not reused: node 18\\.x → ${process.versions.node.split(".")[0]}\\.x`,
      ),
    );
  });
});

describe("build caches", () => {
  it("restores tsc's incremental state and outDir before the next build, keeps them bounded, and housekeeping prunes them", async () => {
    const tsconfig = JSON.parse(
      await readFile(path.join(fixtureDir("ts-app"), "tsconfig.json"), "utf8"),
    );
    tsconfig.compilerOptions.incremental = true;
    const repo = await fixtureRepo("ts-app", { "tsconfig.json": JSON.stringify(tsconfig) });
    const first = await deployed("typed", repo.dir);
    expect(first.status).toBe("succeeded");
    expect(stepLog(first, "build")).toMatch(/build cache: none yet/);
    expect(stepLog(first, "build")).toMatch(/build cache kept: dist, tsconfig\.tsbuildinfo/);

    await repo.commit({ "README.md": "code-only change" });
    const second = await deployed("typed", repo.dir);
    expect(second.status).toBe("succeeded");
    expect(stepLog(second, "build")).toMatch(/build cache restored: dist, tsconfig\.tsbuildinfo/);
    // Restored as the app's own files: the build wrote over them.
    const info = await stat(path.join(releaseOf(second), "tsconfig.tsbuildinfo"));
    expect(info.uid).not.toBe(0);

    // Over BUILD_CACHE_MAX_MB (1 in this stack): not kept.
    const big = await fixtureRepo("node-http", {
      "coduck.json": JSON.stringify({
        build:
          "node scripts/build.js && mkdir -p node_modules/.cache && head -c 2000000 /dev/urandom > node_modules/.cache/big",
      }),
    });
    const tooBig = await deployed("bulky", big.dir);
    expect(tooBig.status).toBe("succeeded");
    expect(stepLog(tooBig, "build")).toMatch(
      /build cache not kept: node_modules\/\.cache take 1\.\d MB, over BUILD_CACHE_MAX_MB \(1\.0 MB\)/,
    );

    // Housekeeping: a project that is gone loses its whole cache; everything unused goes.
    const dirs = cacheDirs(stack.config.dataDir);
    const gone = dirs.project(randomUUID());
    await mkdir(gone.build, { recursive: true });
    const typed = dirs.project(await projectId("typed"));
    // What a save left when its worker died in the middle of it.
    const interrupted = [
      path.join(typed.nodeModules, ".saving-interrupted"),
      path.join(typed.dir, ".build-interrupted"),
    ];
    for (const dir of interrupted) await mkdir(path.join(dir, "node_modules"), { recursive: true });
    const dry = await pruneCaches(stack.db, stack.config.dataDir, new Date(Date.now() + 60_000), {
      dryRun: true,
    });
    expect(dry.projects).toBe(1);
    await expect(stat(typed.build)).resolves.toBeTruthy();
    const summary = await pruneCaches(
      stack.db,
      stack.config.dataDir,
      new Date(Date.now() + 60_000),
    );
    expect(summary.projects).toBe(1);
    expect(summary.caches).toBeGreaterThanOrEqual(2);
    expect(summary.packages).toBeGreaterThanOrEqual(1);
    await expect(stat(gone.dir)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(stat(typed.build)).rejects.toMatchObject({ code: "ENOENT" });
    expect((await readdir(typed.nodeModules)).filter((n) => /^[0-9a-f]{32}$/.test(n))).toEqual([]);
    for (const dir of interrupted)
      await expect(stat(dir)).rejects.toMatchObject({ code: "ENOENT" });

    // With nothing kept, the next build starts cold, and keeps its cache again.
    await repo.commit({ "README.md": "after pruning" });
    const cold = await deployed("typed", repo.dir);
    expect(cold.status).toBe("succeeded");
    expect(stepLog(cold, "build")).toMatch(/build cache: none yet/);
    expect(stepLog(cold, "install")).toMatch(/node_modules not reused/);
  });
});

function fixtureDir(app: string): string {
  return path.join(path.dirname(new URL(import.meta.url).pathname), "..", "fixtures", "apps", app);
}
