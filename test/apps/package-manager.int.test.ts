import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { type InstallPlan, installCommand } from "../../src/apps/package-manager.js";
import { childEnv } from "../../src/exec/child-env.js";
import { sandboxFor } from "../../src/exec/sandbox.js";

// Package managers come from the npm registry through corepack: the first run downloads them.
const TIMEOUT = 180_000;
const COREPACK = { COREPACK_INTEGRITY_KEYS: "0", COREPACK_ENABLE_DOWNLOAD_PROMPT: "0" };
const dirs: string[] = [];

/** A tiny app depending on is-number@7.0.0, its lockfile made by `corepack <tool> install`. */
async function appWithLockfile(
  tool: string,
  fields: Record<string, unknown> = {},
): Promise<string> {
  // A data directory holding one release directory, as the worker lays them out.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coduck-install-"));
  dirs.push(dataDir);
  const dir = path.join(dataDir, "releases", "tiny-app", "release");
  await mkdir(dir, { recursive: true });
  await writeManifest(dir, { dependencies: { "is-number": "7.0.0" }, ...fields });
  await execa("corepack", [tool, "install"], { cwd: dir, env: COREPACK });
  await rm(path.join(dir, "node_modules"), { recursive: true, force: true });
  return dir;
}

async function writeManifest(dir: string, fields: Record<string, unknown>): Promise<void> {
  const manifest = { name: "tiny-app", version: "1.0.0", private: true, ...fields };
  await writeFile(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2));
}

/**
 * Runs a plan as the install step does: no shell, the clean app environment, CI=true, in the
 * sandbox.
 */
async function runPlan(dir: string, plan: InstallPlan) {
  const dataDir = path.resolve(dir, "../../..");
  const sandbox = await sandboxFor("bwrap", { dataDir, releaseDir: dir, project: "tiny-app" });
  const plain = { file: plan.file, args: plan.args, cwd: dir, env: childEnv(plan.env) };
  const command = sandbox ? await sandbox.wrap(plain, "step") : plain;
  return execa(command.file, command.args, {
    cwd: dir,
    env: command.env,
    extendEnv: false,
    reject: false,
    all: true,
  });
}

const installed = (dir: string) =>
  access(path.join(dir, "node_modules", "is-number", "package.json")).then(
    () => true,
    () => false,
  );

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("installCommand, run for real", () => {
  it(
    "installs a pnpm app through corepack with a frozen lockfile",
    async () => {
      const dir = await appWithLockfile("pnpm@9");
      const plan = await installCommand(dir);
      expect(plan).toMatchObject({ manager: "pnpm", lockfile: "pnpm-lock.yaml" });
      const run = await runPlan(dir, plan);
      expect({ exitCode: run.exitCode, installed: await installed(dir) }).toEqual({
        exitCode: 0,
        installed: true,
      });
    },
    TIMEOUT,
  );

  it(
    "runs the pnpm version package.json packageManager names",
    async () => {
      const dir = await appWithLockfile("pnpm@9", { packageManager: "pnpm@9.15.0" });
      const run = await runPlan(dir, await installCommand(dir));
      expect(run.exitCode).toBe(0);
      const state = await readFile(path.join(dir, "node_modules", ".modules.yaml"), "utf8");
      expect(state).toMatch(/^packageManager: pnpm@9\.15\.0$/m);
    },
    TIMEOUT,
  );

  it(
    "fails the frozen pnpm install when the lockfile is out of sync with package.json",
    async () => {
      const dir = await appWithLockfile("pnpm@9");
      await writeManifest(dir, { dependencies: { "is-number": "6.0.0" } });
      const run = await runPlan(dir, await installCommand(dir));
      expect(run.exitCode).not.toBe(0);
      expect(run.all).toContain("ERR_PNPM_OUTDATED_LOCKFILE");
      expect(await installed(dir)).toBe(false);
    },
    TIMEOUT,
  );

  it(
    "installs a yarn 1 app through corepack with a frozen lockfile",
    async () => {
      const dir = await appWithLockfile("yarn@1.22.22");
      const plan = await installCommand(dir);
      expect(plan).toMatchObject({
        manager: "yarn",
        args: ["yarn", "install", "--frozen-lockfile"],
        lockfile: "yarn.lock",
      });
      const run = await runPlan(dir, plan);
      expect({ exitCode: run.exitCode, installed: await installed(dir) }).toEqual({
        exitCode: 0,
        installed: true,
      });
    },
    TIMEOUT,
  );

  it(
    "fails the frozen yarn 1 install when the lockfile is out of sync with package.json",
    async () => {
      const dir = await appWithLockfile("yarn@1.22.22");
      await writeManifest(dir, { dependencies: { "is-number": "6.0.0" } });
      const run = await runPlan(dir, await installCommand(dir));
      expect(run.exitCode).not.toBe(0);
      expect(run.all).toContain("Your lockfile needs to be updated");
    },
    TIMEOUT,
  );
});
