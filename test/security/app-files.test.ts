import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { readAppFile } from "../../src/apps/read-app-file.js";
import { makeAppDirectory, removeAppFile, writeAppFile } from "../../src/apps/write-app-file.js";

// The worker reads and writes a few files in the release directory, which the app owns and
// may have filled with links to the worker's own files.
let root: string;
let appDir: string;
let workerFile: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "coduck-app-files-"));
  appDir = path.join(root, "release");
  workerFile = path.join(root, "secrets.key");
  await mkdir(path.join(appDir, "node_modules", ".pnpm", "prisma"), { recursive: true });
  await writeFile(workerFile, "worker-only");
});
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("readAppFile", () => {
  it("reads a file, and a link that stays inside the app (pnpm's layout)", async () => {
    await writeFile(path.join(appDir, "node_modules", ".pnpm", "prisma", "package.json"), "{}");
    await symlink(".pnpm/prisma", path.join(appDir, "node_modules", "prisma"));
    await expect(
      readAppFile(appDir, path.join(appDir, "node_modules", "prisma", "package.json")),
    ).resolves.toBe("{}");
  });

  it("refuses a link out of the app, by file or by directory", async () => {
    await symlink(workerFile, path.join(appDir, "package.json"));
    await symlink(root, path.join(appDir, "up"));
    await expect(readAppFile(appDir, path.join(appDir, "package.json"))).rejects.toThrow(
      "package.json is a link to a file outside the app's directory",
    );
    await expect(readAppFile(appDir, path.join(appDir, "up", "secrets.key"))).rejects.toMatchObject(
      {
        code: "EOUTSIDEAPP",
      },
    );
  });

  it("rejects a missing file, or a dangling link, with ENOENT", async () => {
    await symlink(path.join(root, "gone"), path.join(appDir, "coduck.json"));
    await expect(readAppFile(appDir, path.join(appDir, "coduck.json"))).rejects.toMatchObject({
      code: "ENOENT",
    });
  });
});

describe("writeAppFile", () => {
  it("replaces a planted link instead of writing through it", async () => {
    await mkdir(path.join(appDir, ".coduck"));
    await symlink(workerFile, path.join(appDir, ".coduck", "prisma.config.mjs"));
    await writeAppFile(appDir, path.join(appDir, ".coduck", "prisma.config.mjs"), "generated");
    expect(await readFile(workerFile, "utf8")).toBe("worker-only");
    expect(await readFile(path.join(appDir, ".coduck", "prisma.config.mjs"), "utf8")).toBe(
      "generated",
    );
  });

  it("refuses a directory that links out of the app", async () => {
    await symlink(root, path.join(appDir, ".coduck"));
    await expect(
      writeAppFile(appDir, path.join(appDir, ".coduck", "secrets.key"), "generated"),
    ).rejects.toThrow(".coduck is a link to a directory outside the app's directory");
    expect(await readFile(workerFile, "utf8")).toBe("worker-only");
  });
});

describe("links that lead out in two hops, and files that are not files", () => {
  it("refuses a link inside the app that points at a link out", async () => {
    await symlink(workerFile, path.join(appDir, "inner-link"));
    await symlink("inner-link", path.join(appDir, "coduck.json"));
    await expect(readAppFile(appDir, path.join(appDir, "coduck.json"))).rejects.toMatchObject({
      code: "EOUTSIDEAPP",
    });
  });

  it("refuses a FIFO without waiting for a writer", async () => {
    await execa("mkfifo", [path.join(appDir, "package.json")]);
    await expect(readAppFile(appDir, path.join(appDir, "package.json"))).rejects.toThrow(
      "package.json is not a regular file",
    );
  });

  it("removes a planted link itself, never what it points at", async () => {
    await mkdir(path.join(appDir, ".coduck"));
    await symlink(workerFile, path.join(appDir, ".coduck", "prisma-create.sql"));
    await removeAppFile(appDir, path.join(appDir, ".coduck", "prisma-create.sql"));
    expect(await readFile(workerFile, "utf8")).toBe("worker-only");
    await expect(lstat(path.join(appDir, ".coduck", "prisma-create.sql"))).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("makes a scratch directory, and refuses one that links out", async () => {
    await makeAppDirectory(appDir, path.join(appDir, ".coduck"));
    expect((await lstat(path.join(appDir, ".coduck"))).isDirectory()).toBe(true);
    await symlink(root, path.join(appDir, "scratch"));
    await expect(makeAppDirectory(appDir, path.join(appDir, "scratch"))).rejects.toThrow(
      "scratch is a link to a directory outside the app's directory",
    );
    await expect(
      writeAppFile(appDir, path.join(appDir, "scratch", "x.sql"), "generated"),
    ).rejects.toMatchObject({ code: "EOUTSIDEAPP" });
    expect(await readdir(root)).toEqual(["release", "secrets.key"]);
  });
});
