import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { hintForPackageManager, installCommand } from "../../src/apps/package-manager.js";
import { FAILURE_CODES } from "../../src/failures/codes.js";

const COREPACK_ENV = {
  COREPACK_INTEGRITY_KEYS: "0",
  COREPACK_ENABLE_DOWNLOAD_PROMPT: "0",
  COREPACK_ENABLE_AUTO_PIN: "0",
};
const BERRY_LOCK = '__metadata:\n  version: 8\n  cacheKey: 10c0\n\n"is-number@npm:7.0.0":\n';
const CLASSIC_LOCK = "# yarn lockfile v1\n\n\nis-number@7.0.0:\n";
let dir: string;

async function app(tree: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(tree)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}
const manifest = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ name: "app", version: "1.0.0", ...fields });

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-package-manager-"));
});
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("installCommand", () => {
  it("runs npm ci with package-lock.json, or with npm-shrinkwrap.json", async () => {
    await app({ "package.json": manifest(), "package-lock.json": "{}" });
    expect(await installCommand(dir)).toEqual({
      manager: "npm",
      file: "npm",
      args: ["ci"],
      env: {},
      lockfile: "package-lock.json",
    });
    await rm(path.join(dir, "package-lock.json"));
    await app({ "npm-shrinkwrap.json": "{}" });
    expect(await installCommand(dir)).toMatchObject({
      args: ["ci"],
      lockfile: "npm-shrinkwrap.json",
    });
  });

  it("runs a frozen pnpm install through corepack, which honours packageManager itself", async () => {
    await app({
      "package.json": manifest({ packageManager: "pnpm@9.15.0" }),
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
    });
    expect(await installCommand(dir)).toEqual({
      manager: "pnpm",
      file: "corepack",
      args: ["pnpm", "install", "--frozen-lockfile"],
      env: COREPACK_ENV,
      lockfile: "pnpm-lock.yaml",
    });
  });

  it.each([
    ["9.0", 9],
    ["6.0", 8],
    ["6.1", 8],
    ["5.4", 7],
    ["5.3", 6],
  ])(
    "without packageManager, runs the pnpm of lockfileVersion %s (pnpm %i), never corepack's latest",
    async (version, major) => {
      await app({
        "package.json": manifest(),
        "pnpm-lock.yaml": `lockfileVersion: '${version}'\n\nsettings:\n  autoInstallPeers: true\n`,
      });
      expect(await installCommand(dir)).toEqual({
        manager: "pnpm",
        file: "corepack",
        args: [`pnpm@${major}`, "install", "--frozen-lockfile"],
        env: COREPACK_ENV,
        lockfile: "pnpm-lock.yaml",
        major,
      });
    },
  );

  it("leaves an unknown lockfileVersion to corepack's pnpm", async () => {
    await app({ "package.json": manifest(), "pnpm-lock.yaml": "lockfileVersion: '12.0'\n" });
    expect((await installCommand(dir)).args).toEqual(["pnpm", "install", "--frozen-lockfile"]);
  });

  it("runs yarn 1 with --frozen-lockfile when nothing says Yarn 2+", async () => {
    await app({ "package.json": manifest(), "yarn.lock": CLASSIC_LOCK });
    expect(await installCommand(dir)).toEqual({
      manager: "yarn",
      file: "corepack",
      args: ["yarn", "install", "--frozen-lockfile"],
      env: COREPACK_ENV,
      lockfile: "yarn.lock",
    });
    await app({ "package.json": manifest({ packageManager: "yarn@1.22.22" }) });
    expect((await installCommand(dir)).args).toEqual(["yarn", "install", "--frozen-lockfile"]);
  });

  it("runs yarn 2+ with --immutable when packageManager names it", async () => {
    await app({
      "package.json": manifest({ packageManager: "yarn@4.5.3+sha512.abc123" }),
      "yarn.lock": BERRY_LOCK,
    });
    expect(await installCommand(dir)).toEqual({
      manager: "yarn",
      file: "corepack",
      args: ["yarn", "install", "--immutable"],
      env: COREPACK_ENV,
      lockfile: "yarn.lock",
    });
    // packageManager wins over files that suggest otherwise.
    await app({ "package.json": manifest({ packageManager: "yarn@1.22.22" }) });
    expect((await installCommand(dir)).args).toEqual(["yarn", "install", "--frozen-lockfile"]);
  });

  it("runs yarn 2+ when .yarnrc.yml points at a committed release (yarn 1 hands over to it)", async () => {
    await app({
      "package.json": manifest(),
      "yarn.lock": BERRY_LOCK,
      ".yarnrc.yml": "nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-4.5.3.cjs\n",
      ".yarn/releases/yarn-4.5.3.cjs": "",
    });
    expect((await installCommand(dir)).args).toEqual(["yarn", "install", "--immutable"]);
  });

  it("refuses a Yarn 2+ project that does not say which Yarn runs it", async () => {
    // corepack would run Yarn 1, which ignores --immutable and rewrites the lockfile.
    await app({ "package.json": manifest(), "yarn.lock": CLASSIC_LOCK, ".yarnrc.yml": "" });
    await expect(installCommand(dir)).rejects.toThrow(
      'this is a Yarn 2+ project (.yarnrc.yml) that does not say which Yarn runs it: add "packageManager": "yarn@<version>" to package.json',
    );
    await rm(path.join(dir, ".yarnrc.yml"));
    await app({ "yarn.lock": BERRY_LOCK });
    await expect(installCommand(dir)).rejects.toThrow(/Yarn 2\+ project \(its yarn.lock\)/);
  });

  it("returns a bun plan for bun.lock or bun.lockb, though bun may not be installed", async () => {
    await app({ "package.json": manifest(), "bun.lockb": "\0binary" });
    expect(await installCommand(dir)).toEqual({
      manager: "bun",
      file: "bun",
      args: ["install", "--frozen-lockfile"],
      env: {},
      lockfile: "bun.lockb",
    });
    await app({ "bun.lock": "{}" });
    expect(await installCommand(dir)).toMatchObject({
      lockfile: "bun.lock",
      warning: expect.stringContaining("ignored bun.lockb"),
    });
  });

  it("falls back to npm install, with a warning, when there is no lockfile", async () => {
    await app({ "package.json": manifest() });
    expect(await installCommand(dir)).toEqual({
      manager: "npm",
      file: "npm",
      args: ["install"],
      env: {},
      lockfile: null,
      warning:
        "no lockfile: dependencies were resolved afresh with npm install; commit a lockfile for repeatable deploys",
    });
  });

  it("resolves afresh with the packageManager's own tool when it has no lockfile", async () => {
    await app({ "package.json": manifest({ packageManager: "pnpm@9.15.0" }) });
    expect(await installCommand(dir)).toEqual({
      manager: "pnpm",
      file: "corepack",
      // Under CI=true pnpm would otherwise insist on a lockfile.
      args: ["pnpm", "install", "--no-frozen-lockfile"],
      env: COREPACK_ENV,
      lockfile: null,
      warning:
        "no lockfile: dependencies were resolved afresh with pnpm install; commit a lockfile for repeatable deploys",
    });
    await app({ "package.json": manifest({ packageManager: "yarn@4.5.3" }) });
    expect((await installCommand(dir)).args).toEqual(["yarn", "install", "--no-immutable"]);
    await app({ "package.json": manifest({ packageManager: "yarn@1.22.22" }) });
    expect((await installCommand(dir)).args).toEqual(["yarn", "install"]);
  });

  describe("several lockfiles", () => {
    it("follows npm, pnpm, yarn, bun precedence, naming the ignored ones", async () => {
      await app({
        "package.json": manifest(),
        "yarn.lock": CLASSIC_LOCK,
        "pnpm-lock.yaml": "",
        "package-lock.json": "{}",
      });
      expect(await installCommand(dir)).toEqual({
        manager: "npm",
        file: "npm",
        args: ["ci"],
        env: {},
        lockfile: "package-lock.json",
        warning:
          'several lockfiles: installed with npm from package-lock.json because package.json names no "packageManager" and npm\'s comes first, and ignored pnpm-lock.yaml, yarn.lock; delete the ones you do not use',
      });
    });

    it("follows packageManager when it names one of them", async () => {
      await app({
        "package.json": manifest({ packageManager: "pnpm@9.15.0" }),
        "pnpm-lock.yaml": "",
        "package-lock.json": "{}",
      });
      expect(await installCommand(dir)).toEqual({
        manager: "pnpm",
        file: "corepack",
        args: ["pnpm", "install", "--frozen-lockfile"],
        env: COREPACK_ENV,
        lockfile: "pnpm-lock.yaml",
        warning:
          'several lockfiles: installed with pnpm from pnpm-lock.yaml because package.json "packageManager" is pnpm@9.15.0, and ignored package-lock.json; delete the ones you do not use',
      });
    });

    it("follows packageManager even when its lockfile is the one missing", async () => {
      // corepack refuses to run another manager than packageManager names.
      await app({
        "package.json": manifest({ packageManager: "pnpm@9.15.0" }),
        "yarn.lock": CLASSIC_LOCK,
      });
      expect(await installCommand(dir)).toMatchObject({
        manager: "pnpm",
        args: ["pnpm", "install", "--no-frozen-lockfile"],
        lockfile: null,
        warning:
          'no pnpm lockfile although package.json "packageManager" is pnpm@9.15.0 (ignored yarn.lock): dependencies were resolved afresh with pnpm install; commit a lockfile for repeatable deploys',
      });
    });
  });

  describe("a malformed packageManager", () => {
    it.each([
      ["a range", "pnpm@^9"],
      ["no version", "pnpm"],
      ["a partial version", "yarn@4"],
      ["an unknown manager", "deno@2.0.0"],
      ["a tag", "pnpm@latest"],
      ["not a string", 9],
      ["an empty string", ""],
    ])("is a clear error: %s", async (_what, value) => {
      await app({ "package.json": manifest({ packageManager: value }), "pnpm-lock.yaml": "" });
      await expect(installCommand(dir)).rejects.toThrow(
        `package.json "packageManager" is ${JSON.stringify(value)}: expected a package manager and its exact version, such as "pnpm@9.15.0" (npm, pnpm, yarn or bun)`,
      );
    });

    it("accepts prerelease versions and corepack's hash suffix", async () => {
      for (const value of [
        "pnpm@10.0.0-rc.1",
        "pnpm@9.15.0+sha512.76e2379760a4328ec4415815bcd6628dee727af3779aaa4c914e3944156c4299921a89f976381ee107d41f12cfa4b66681ca9c718f0668fa0831ed4c6d8ba56c",
      ]) {
        await app({ "package.json": manifest({ packageManager: value }), "pnpm-lock.yaml": "" });
        expect((await installCommand(dir)).manager).toBe("pnpm");
      }
    });

    it("is a clear error when package.json is not JSON", async () => {
      await app({ "package.json": "{ name: app }", "package-lock.json": "{}" });
      await expect(installCommand(dir)).rejects.toThrow(/^package.json is not valid JSON \(/);
    });
  });
});

describe("hintForPackageManager", () => {
  const pnpm9 = { manager: "pnpm" as const, major: 9, lockfile: "pnpm-lock.yaml" };
  it("tells a pnpm 9 app its own install, build and start, and leaves npm apps' hints alone", () => {
    expect(hintForPackageManager(FAILURE_CODES.INSTALL_FAILED.hint, pnpm9)).toBe(
      "Run the same install locally from a clean checkout (corepack pnpm@9 install --frozen-lockfile: the app installs with pnpm 9) and fix the first error it prints.",
    );
    expect(hintForPackageManager(FAILURE_CODES.LOCKFILE_OUT_OF_SYNC.hint, pnpm9)).toBe(
      "Run the install locally (corepack pnpm@9 install: the app installs with pnpm 9) so the lock file matches package.json, and commit the updated lock file.",
    );
    expect(hintForPackageManager(FAILURE_CODES.BUILD_FAILED.hint, pnpm9)).toContain(
      "`corepack pnpm@9 run build`",
    );
    expect(hintForPackageManager(FAILURE_CODES.START_CRASHED.hint, pnpm9)).toContain(
      "`corepack pnpm@9 run start`",
    );
    const yarn = { manager: "yarn" as const, lockfile: "yarn.lock" };
    expect(hintForPackageManager(FAILURE_CODES.INSTALL_FAILED.hint, yarn)).toContain(
      "(yarn install: the app installs with yarn)",
    );
    const npm = { manager: "npm" as const, lockfile: "package-lock.json" };
    expect(hintForPackageManager(FAILURE_CODES.INSTALL_FAILED.hint, npm)).toBe(
      FAILURE_CODES.INSTALL_FAILED.hint,
    );
  });
});
