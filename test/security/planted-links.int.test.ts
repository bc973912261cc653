import { randomBytes } from "node:crypto";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { execa } from "execa";
import { fixtureRepo } from "../helpers/git-repo.js";
import { storedRows } from "../helpers/stored-rows.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Each test waits for a real deploy to end (120 s).
jest.setTimeout(180_000);

// A repository, or app code in the sandbox, can plant a symbolic link to a file of the
// worker's; the worker reads the app's files as itself, so it must refuse to follow one out of
// the release directory, or a parse error would quote the file into the step log.
const DECOY = `SECRET-DECOY-${randomBytes(6).toString("hex")}`;
let stack: TestStack;
let keyFile: string;

beforeAll(async () => {
  stack = await createTestStack({ SANDBOX: "bwrap" });
  await stack.startWorker();
  keyFile = path.join(stack.config.dataDir, "secrets.key");
  await mkdir(stack.config.dataDir, { recursive: true });
  await writeFile(keyFile, `${DECOY}\n`, { mode: 0o600 });
});
afterAll(async () => {
  await stack?.close();
});

async function storedText(): Promise<string> {
  return [...(await storedRows(stack.db)), ...stack.logs].join("\n");
}

it("refuses a committed coduck.json that links to a file of the worker's", async () => {
  const repo = await fixtureRepo("node-http");
  await symlink(keyFile, path.join(repo.dir, "coduck.json"));
  await repo.commit({}, "link coduck.json");
  const record = await stack.waitForEnd(
    await stack.deploy({ project: "linked-config", repoUrl: repo.dir }),
    120_000,
  );
  expect(record).toMatchObject({ status: "failed", errorCode: "CONFIG_INVALID" });
  expect(record.steps.find((s) => s.name === "checkout")?.evidence).toBe(
    "coduck.json: coduck.json is a link to a file outside the app's directory",
  );
  expect(await storedText()).not.toContain(DECOY.slice(0, 10));
});

it("refuses a package.json the app's build swapped for a link to a file of the worker's", async () => {
  const repo = await fixtureRepo("node-http", {
    "scripts/build.js": [
      'import { rmSync, symlinkSync } from "node:fs";',
      'rmSync("package.json");',
      `symlinkSync(${JSON.stringify(keyFile)}, "package.json");`,
    ].join("\n"),
  });
  const id = await stack.deploy({ project: "linked-manifest", repoUrl: repo.dir });
  const record = await stack.waitForEnd(id, 120_000);
  expect(record).toMatchObject({ status: "failed", errorCode: "CONFIG_INVALID" });
  // The schema step, the first to read package.json after the build, refuses it.
  const failed = record.steps.find((s) => s.status === "failed");
  expect(failed?.name).toBe("schema");
  expect(failed?.evidence).toMatch(/package\.json is a link to a file outside the app's directory/);
  // The link really is there, pointing at the key file.
  const release = path.join(stack.config.dataDir, "releases", "linked-manifest", `${id}-1`);
  const { stdout } = await execa("readlink", [path.join(release, "package.json")]);
  expect(stdout).toBe(keyFile);
  expect(await storedText()).not.toContain(DECOY.slice(0, 10));
}, 180_000);
