import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import { fixtureRepo } from "../helpers/git-repo.js";
import { storedRows } from "../helpers/stored-rows.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// A hostile repository commits links to the host (or its build swaps one in), hoping the
// worker, as root, follows them: chowns a host directory when it hands the release over, reads
// a host file as a manifest and quotes it, or writes and deletes through the schema step's
// scratch directory. Root never follows a tenant's link.
jest.setTimeout(300_000);

const DECOY = `HOST-DECOY-${randomBytes(6).toString("hex")}`;
let stack: TestStack;
/** Root-owned, outside every release: what the links point at. */
let outside: string;
let decoyFile: string;

beforeAll(async () => {
  stack = await createTestStack({ SANDBOX: "bwrap" });
  await stack.startWorker();
  outside = await mkdtemp(path.join(os.tmpdir(), "coduck-host-"));
  decoyFile = path.join(outside, "secret.txt");
  await writeFile(decoyFile, `model Leak {\n  id Int @id\n}\n// ${DECOY}\n`, { mode: 0o600 });
});
afterAll(async () => {
  await stack?.close();
  if (outside) await rm(outside, { recursive: true, force: true });
});

async function storedText(): Promise<string> {
  return [...(await storedRows(stack.db)), ...stack.logs].join("\n");
}

/** Every entry under `dir` (links not followed): its owner and mode. */
async function ownership(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of ["", ...(await readdir(dir, { recursive: true }))]) {
    const stats = await lstat(path.join(dir, name));
    found.push(`${name} ${stats.uid}:${stats.gid} ${stats.mode.toString(8)}`);
  }
  return found.sort();
}

it("does not chown a host directory that a committed link points at", async () => {
  const hostDir = await mkdtemp(path.join(outside, "hostdir-"));
  await mkdir(path.join(hostDir, "sub"));
  await writeFile(path.join(hostDir, "sub", "file"), "host's");
  const before = await ownership(hostDir);
  expect(before.every((line) => / 0:0 /.test(line))).toBe(true);

  const repo = await fixtureRepo("node-http");
  await symlink(hostDir, path.join(repo.dir, "hostdir"));
  await repo.commit({}, "link a host directory");
  const record = await stack.waitForEnd(
    await stack.deploy({ project: "host-dir", repoUrl: repo.dir }),
    180_000,
  );
  expect(record.status).toBe("succeeded");
  expect(await ownership(hostDir)).toEqual(before);
});

it.each([
  ["package.json", "install"],
  ["package-lock.json", "install"],
  // The first step to read the Prisma schema refuses it (the build generates the client).
  ["prisma/schema.prisma", "build|schema"],
  ["prisma.config.ts", "build|schema"],
])("refuses a committed %s that links out of the release", async (file, step) => {
  const repo = await fixtureRepo("node-http");
  await mkdir(path.dirname(path.join(repo.dir, file)), { recursive: true });
  await rm(path.join(repo.dir, file), { force: true });
  await symlink(decoyFile, path.join(repo.dir, file));
  await repo.commit({}, `link ${file}`);
  const project = `linked-${file.replace(/[^a-z]/g, "-")}`;
  const record = await stack.waitForEnd(
    await stack.deploy({ project, repoUrl: repo.dir }),
    180_000,
  );
  expect(record).toMatchObject({ status: "failed", errorCode: "CONFIG_INVALID" });
  const failed = record.steps.find((s) => s.status === "failed");
  expect(step.split("|")).toContain(failed?.name);
  expect(failed?.evidence).toContain(`${file} is a link to a file outside the app's directory`);
  expect(await storedText()).not.toContain(DECOY);
});

it("refuses a Prisma schema the build swapped for a link out of the release", async () => {
  const repo = await fixtureRepo("node-http", {
    "scripts/build.js": [
      'import { mkdirSync, symlinkSync } from "node:fs";',
      'mkdirSync("prisma", { recursive: true });',
      `symlinkSync(${JSON.stringify(decoyFile)}, "prisma/schema.prisma");`,
    ].join("\n"),
  });
  const record = await stack.waitForEnd(
    await stack.deploy({ project: "swapped-schema", repoUrl: repo.dir }),
    180_000,
  );
  expect(record).toMatchObject({ status: "failed", errorCode: "CONFIG_INVALID" });
  expect(record.steps.find((s) => s.name === "schema")?.evidence).toContain(
    "prisma/schema.prisma is a link to a file outside the app's directory",
  );
  expect(await storedText()).not.toContain(DECOY);
});

it("neither writes, reads nor deletes through a scratch directory the build swapped for a link", async () => {
  // The schema step writes and removes Prisma's scripts in .coduck/: the build makes it a link
  // to a host directory holding a file of the scratch file's name.
  const hostDir = await mkdtemp(path.join(outside, "scratch-"));
  const planted = path.join(hostDir, "prisma-create.sql");
  await writeFile(planted, `-- ${DECOY}\n`, { mode: 0o600 });
  const repo = await fixtureRepo("prisma-app", {
    "build.js": [
      'import { rmSync, symlinkSync } from "node:fs";',
      'rmSync(".coduck", { recursive: true, force: true });',
      `symlinkSync(${JSON.stringify(hostDir)}, ".coduck");`,
    ].join("\n"),
  });
  const manifest = JSON.parse(await readFile(path.join(repo.dir, "package.json"), "utf8"));
  manifest.scripts.build = "node build.js";
  await repo.commit({ "package.json": JSON.stringify(manifest, null, 2) }, "swap .coduck");
  const record = await stack.waitForEnd(
    await stack.deploy({ project: "swapped-scratch", repoUrl: repo.dir }),
    240_000,
  );
  expect(record).toMatchObject({ status: "failed", errorCode: "CONFIG_INVALID" });
  expect(record.steps.find((s) => s.name === "schema")?.evidence).toContain(
    ".coduck is a link to a directory outside the app's directory",
  );
  expect(await readdir(hostDir)).toEqual(["prisma-create.sql"]);
  expect(await readFile(planted, "utf8")).toBe(`-- ${DECOY}\n`);
  expect(await storedText()).not.toContain(DECOY);
});
