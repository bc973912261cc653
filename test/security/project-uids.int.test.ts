import { chmod, lstat, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { execa } from "execa";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Each project's app code runs as a uid of its own, allocated once and kept; what one
// project's release writes is private to it, so another tenant's code cannot read it.
jest.setTimeout(300_000);

const UID_BASE = 300_000 + Math.floor(Math.random() * 1000) * 100;
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ SANDBOX: "bwrap", APP_UID_BASE: String(UID_BASE) });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

async function appUid(slug: string): Promise<number | null> {
  const rows = await stack.db.$queryRawUnsafe<{ appUid: number | null }[]>(
    `SELECT "appUid" FROM "Project" WHERE slug = $1`,
    slug,
  );
  return rows[0]?.appUid ?? null;
}

function releaseDir(project: string, id: string): string {
  return path.join(stack.config.dataDir, "releases", project, `${id}-1`);
}

/** Runs `argv` as `uid` (no groups, no capabilities), outside any box: the host's own checks. */
async function asUid(uid: number, argv: string[]) {
  return execa(
    "setpriv",
    [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--inh-caps=-all", "--", ...argv],
    { reject: false },
  );
}

it("runs each project as its own uid, kept across deploys, with private release files", async () => {
  const repo = await fixtureRepo("node-http");
  const first = await stack.deploy({ project: "tenant-a", repoUrl: repo.dir });
  expect((await stack.waitForEnd(first, 180_000)).status).toBe("succeeded");
  const other = await stack.deploy({ project: "tenant-b", repoUrl: repo.dir });
  expect((await stack.waitForEnd(other, 180_000)).status).toBe("succeeded");

  const uidA = await appUid("tenant-a");
  const uidB = await appUid("tenant-b");
  expect(uidA).toBeGreaterThanOrEqual(UID_BASE);
  expect(uidB).toBeGreaterThanOrEqual(UID_BASE);
  expect(uidA).not.toBe(uidB);

  // A's release directory and HOME are A's, and no one else's to enter.
  const releaseA = releaseDir("tenant-a", first);
  const homeA = path.join(stack.config.dataDir, "homes", "tenant-a");
  for (const dir of [releaseA, homeA]) {
    const stats = await lstat(dir);
    expect({ uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o777 }).toEqual({
      uid: uidA,
      gid: uidA,
      mode: 0o700,
    });
  }
  // The files the app wrote as it ran (its build output, its cache) are its own uid's.
  expect((await stat(path.join(releaseA, "dist"))).uid).toBe(uidA);
  // The release's log is the worker's file, the app writes it through the descriptor it is given.
  const logStats = await lstat(`${releaseA}.log`);
  expect({ uid: logStats.uid, mode: logStats.mode & 0o777 }).toEqual({ uid: 0, mode: 0o600 });
  // So is its supervisord program's spec beside it (it holds the app's secrets).
  const specStats = await lstat(`${releaseA}.log.program.json`);
  expect({ uid: specStats.uid, mode: specStats.mode & 0o777 }).toEqual({ uid: 0, mode: 0o600 });
  // The directories above them are the worker's alone.
  for (const dir of ["releases", path.join("releases", "tenant-a"), "homes"]) {
    const stats = await lstat(path.join(stack.config.dataDir, dir));
    expect({ dir, uid: stats.uid, mode: stats.mode & 0o777 }).toEqual({ dir, uid: 0, mode: 0o700 });
  }

  // B's code (B's uid, outside any box: the host's permissions alone) reads none of A's.
  for (const target of [
    path.join(releaseA, "package.json"),
    `${releaseA}.log`,
    `${releaseA}.log.program.json`,
    path.join(homeA, "."),
  ]) {
    const read = await asUid(uidB!, ["cat", target]);
    expect({ target, exitCode: read.exitCode }).toEqual({ target, exitCode: 1 });
    expect(read.stderr).toMatch(/Permission denied/);
  }
  const listed = await asUid(uidB!, ["ls", releaseA]);
  expect(listed.stderr).toMatch(/Permission denied/);

  // A's second deploy runs as the same uid.
  const second = await stack.deploy({ project: "tenant-a", repoUrl: repo.dir });
  expect((await stack.waitForEnd(second, 180_000)).status).toBe("succeeded");
  expect(await appUid("tenant-a")).toBe(uidA);
  expect((await lstat(releaseDir("tenant-a", second))).uid).toBe(uidA);
  // Both releases and their logs; only the live one keeps a program spec (the stopped one's
  // program was removed with it).
  expect((await readdir(path.join(stack.config.dataDir, "releases", "tenant-a"))).sort()).toEqual(
    [
      `${first}-1`,
      `${first}-1.log`,
      `${second}-1`,
      `${second}-1.log`,
      `${second}-1.log.program.json`,
    ].sort(),
  );
});

it("takes over a HOME made for nobody, before projects had their own uid", async () => {
  // What a worker before per-project uids left: HOME and its caches owned by 65534, 0755.
  const home = path.join(stack.config.dataDir, "homes", "legacy");
  await mkdir(path.join(home, ".npm"), { recursive: true, mode: 0o755 });
  await writeFile(path.join(home, ".npm", "cache-entry"), "cached");
  await execa("chown", ["-R", "65534:65534", home]);
  await chmod(home, 0o755);

  const repo = await fixtureRepo("node-http");
  const id = await stack.deploy({ project: "legacy", repoUrl: repo.dir });
  expect((await stack.waitForEnd(id, 180_000)).status).toBe("succeeded");
  const uid = await appUid("legacy");
  const stats = await lstat(home);
  expect({ uid: stats.uid, mode: stats.mode & 0o777 }).toEqual({ uid, mode: 0o700 });
  expect((await lstat(path.join(home, ".npm", "cache-entry"))).uid).toBe(uid);
});
