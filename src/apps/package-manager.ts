import path from "node:path";
import { isAppFile, readOptionalAppFile } from "./read-app-file.js";

export type PackageManager = "npm" | "pnpm" | "yarn" | "bun";

/** How the install step installs an app's dependencies: one command, run without a shell. */
export type InstallPlan = {
  manager: PackageManager;
  file: string;
  args: string[];
  env: Record<string, string>;
  /** The lockfile the install follows; null when there is none and dependencies are resolved afresh. */
  lockfile: string | null;
  /**
   * The major version of the package manager the install runs, when the worker chose it (from
   * a pnpm lockfile's lockfileVersion; "packageManager" pins its own); absent: corepack's default
   * or what "packageManager" names.
   */
  major?: number;
  warning?: string;
};

/** Lockfiles in precedence order, used when package.json names no package manager. */
const LOCKFILES: readonly { file: string; manager: PackageManager }[] = [
  // npm reads npm-shrinkwrap.json and ignores package-lock.json when both exist.
  { file: "npm-shrinkwrap.json", manager: "npm" },
  { file: "package-lock.json", manager: "npm" },
  { file: "pnpm-lock.yaml", manager: "pnpm" },
  { file: "yarn.lock", manager: "yarn" },
  { file: "bun.lock", manager: "bun" },
  { file: "bun.lockb", manager: "bun" },
];

// pnpm and yarn come through corepack, which runs the version package.json "packageManager"
// names. corepack checks downloads against the registry signing keys it ships with, and fails
// every download from a registry whose signatures it does not know ("No compatible signature
// found"), so that check is off (a hash in "packageManager" is still verified); no prompt can be
// answered in a deploy; and older corepacks must not pin a version into the app's package.json.
const COREPACK_ENV = {
  COREPACK_INTEGRITY_KEYS: "0",
  COREPACK_ENABLE_DOWNLOAD_PROMPT: "0",
  COREPACK_ENABLE_AUTO_PIN: "0",
};

// corepack's own rule: a name and an exact semver version, optionally `+<hash algorithm>.<hex>`.
const PACKAGE_MANAGER_FIELD =
  /^(npm|pnpm|yarn|bun)@(\d+)\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

type Declared = { manager: PackageManager; major: number; spec: string };

/**
 * The install command for the app in `appDir`: the package manager package.json
 * "packageManager" names, else the one whose lockfile is there (npm, pnpm, yarn, bun in that
 * order), else npm; frozen to the lockfile when there is one. Throws when package.json's
 * "packageManager" is malformed or a Yarn 2+ project does not say which Yarn runs it.
 */
export async function installCommand(appDir: string): Promise<InstallPlan> {
  const declared = await declaredPackageManager(appDir);
  const present: (typeof LOCKFILES)[number][] = [];
  for (const lockfile of LOCKFILES) {
    if (await isAppFile(appDir, path.join(appDir, lockfile.file))) present.push(lockfile);
  }
  const chosen = declared ? present.find((l) => l.manager === declared.manager) : present[0];
  const manager = declared?.manager ?? chosen?.manager ?? "npm";
  const ignored = present.filter((l) => l !== chosen).map((l) => l.file);
  const frozen = chosen !== undefined;
  const major =
    manager === "pnpm" && !declared && chosen ? await pnpmMajorOfLockfile(appDir) : undefined;
  const [file, args, env] = await command(appDir, manager, declared, frozen, major);
  const plan: InstallPlan = {
    manager,
    file,
    args,
    env,
    lockfile: chosen?.file ?? null,
    ...(major !== undefined && { major }),
  };
  const warning = lockfileWarning(manager, declared, chosen?.file, ignored);
  return warning ? { ...plan, warning } : plan;
}

async function command(
  appDir: string,
  manager: PackageManager,
  declared: Declared | undefined,
  frozen: boolean,
  major: number | undefined,
): Promise<[string, string[], Record<string, string>]> {
  switch (manager) {
    case "npm":
      return ["npm", [frozen ? "ci" : "install"], {}];
    case "pnpm":
      // CI=true makes pnpm freeze the lockfile by default, which fails when there is none.
      // Without "packageManager", the pnpm whose lockfile format it is (corepack resolves
      // pnpm@9 to the latest 9.x), not corepack's default: the latest pnpm.
      return [
        "corepack",
        [
          major !== undefined ? `pnpm@${major}` : "pnpm",
          "install",
          frozen ? "--frozen-lockfile" : "--no-frozen-lockfile",
        ],
        { ...COREPACK_ENV },
      ];
    case "yarn":
      if (await isYarnBerry(appDir, declared)) {
        // Yarn 2+ is immutable by default under CI=true, which fails when there is no lockfile.
        return [
          "corepack",
          ["yarn", "install", frozen ? "--immutable" : "--no-immutable"],
          { ...COREPACK_ENV },
        ];
      }
      return [
        "corepack",
        ["yarn", "install", ...(frozen ? ["--frozen-lockfile"] : [])],
        { ...COREPACK_ENV },
      ];
    case "bun":
      return ["bun", ["install", ...(frozen ? ["--frozen-lockfile"] : [])], {}];
  }
}

// pnpm-lock.yaml's lockfileVersion and the pnpm that writes it: 9.0 is pnpm 9's (pnpm 10 writes
// it too: such an app names its pnpm in "packageManager"), 6.x pnpm 8's, 5.4 pnpm 7's, 5.3 pnpm 6's.
const PNPM_LOCKFILE_VERSION = /^lockfileVersion:\s*['"]?(\d+)\.(\d+)['"]?\s*$/m;

/** The pnpm major a pnpm-lock.yaml was written by, from its lockfileVersion; undefined: unknown. */
async function pnpmMajorOfLockfile(appDir: string): Promise<number | undefined> {
  const text = await readOptionalAppFile(appDir, path.join(appDir, "pnpm-lock.yaml"));
  // lockfileVersion is the file's first key: its first lines are enough.
  const found = PNPM_LOCKFILE_VERSION.exec((text ?? "").slice(0, 4096));
  if (!found) return undefined;
  const [major, minor] = [Number(found[1]), Number(found[2])];
  if (major === 9) return 9;
  if (major === 6) return 8;
  if (major === 5 && minor >= 4) return 7;
  if (major === 5) return 6;
  return undefined;
}

/** How the user runs the app's install, build and start locally, for failure hints. */
export function localCommands(plan: Pick<InstallPlan, "manager" | "major" | "lockfile">): {
  install: string;
  run: (script: string) => string;
  name: string;
} {
  const name = plan.major !== undefined ? `${plan.manager} ${plan.major}` : plan.manager;
  const frozen = plan.lockfile !== null;
  switch (plan.manager) {
    case "npm":
      return { install: frozen ? "npm ci" : "npm install", run: (s) => `npm run ${s}`, name };
    case "pnpm": {
      const pnpm = plan.major !== undefined ? `corepack pnpm@${plan.major}` : "pnpm";
      return {
        install: `${pnpm} install${frozen ? " --frozen-lockfile" : ""}`,
        run: (s) => `${pnpm} run ${s}`,
        name,
      };
    }
    case "yarn":
      return { install: "yarn install", run: (s) => `yarn run ${s}`, name };
    case "bun":
      return {
        install: `bun install${frozen ? " --frozen-lockfile" : ""}`,
        run: (s) => `bun run ${s}`,
        name,
      };
  }
}

/**
 * A failure hint in the app's own package manager: the catalogue's hints are written for npm
 * (`npm ci`, `npm run build`, `npm start`); an app installed with pnpm, yarn or bun is told
 * its own commands (and a pnpm chosen from the lockfile, its version).
 */
export function hintForPackageManager(
  hint: string,
  plan: Pick<InstallPlan, "manager" | "major" | "lockfile">,
): string {
  if (plan.manager === "npm") return hint;
  const local = localCommands(plan);
  return hint
    .replace("(npm ci)", `(${local.install}: the app installs with ${local.name})`)
    .replace(
      "(npm install, pnpm install or yarn install)",
      `(${local.install.replace(" --frozen-lockfile", "")}: the app installs with ${local.name})`,
    )
    .replace("`npm run build`", `\`${local.run("build")}\``)
    .replace("`npm start`", `\`${local.run("start")}\``);
}

/**
 * Yarn 2+ ("berry") rather than Yarn 1. Without "packageManager", corepack runs Yarn 1, which
 * hands over to a `yarnPath` release in .yarnrc.yml but otherwise ignores `--immutable` and
 * rewrites a berry lockfile: such a project must name its Yarn.
 */
async function isYarnBerry(appDir: string, declared: Declared | undefined): Promise<boolean> {
  if (declared?.manager === "yarn") return declared.major >= 2;
  const yarnrc = await readOptionalAppFile(appDir, path.join(appDir, ".yarnrc.yml"));
  const lockfile = await readOptionalAppFile(appDir, path.join(appDir, "yarn.lock"));
  const berry = yarnrc !== null || /^__metadata:/m.test(lockfile ?? "");
  if (!berry) return false;
  if (yarnrc !== null && /^yarnPath:/m.test(yarnrc)) return true;
  throw new Error(
    `this is a Yarn 2+ project (${yarnrc !== null ? ".yarnrc.yml" : "its yarn.lock"}) that does not say which Yarn runs it: add "packageManager": "yarn@<version>" to package.json (\`yarn set version <version>\` does it)`,
  );
}

function lockfileWarning(
  manager: PackageManager,
  declared: Declared | undefined,
  used: string | undefined,
  ignored: string[],
): string | undefined {
  const because = declared
    ? `package.json "packageManager" is ${declared.spec}`
    : `package.json names no "packageManager" and ${manager}'s comes first`;
  if (used && ignored.length > 0) {
    return `several lockfiles: installed with ${manager} from ${used} because ${because}, and ignored ${ignored.join(", ")}; delete the ones you do not use`;
  }
  if (used) return undefined;
  const fresh = `dependencies were resolved afresh with ${manager} install; commit a lockfile for repeatable deploys`;
  if (ignored.length > 0) {
    return `no ${manager} lockfile although ${because} (ignored ${ignored.join(", ")}): ${fresh}`;
  }
  return `no lockfile: ${fresh}`;
}

async function declaredPackageManager(appDir: string): Promise<Declared | undefined> {
  const text = await readOptionalAppFile(appDir, path.join(appDir, "package.json"));
  if (text === null) return undefined;
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new Error(`package.json is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (typeof manifest !== "object" || manifest === null || !("packageManager" in manifest)) {
    return undefined;
  }
  const value = manifest.packageManager;
  const found = typeof value === "string" ? PACKAGE_MANAGER_FIELD.exec(value) : null;
  if (!found) {
    throw new Error(
      `package.json "packageManager" is ${JSON.stringify(value)}: expected a package manager and its exact version, such as "pnpm@9.15.0" (npm, pnpm, yarn or bun)`,
    );
  }
  return { manager: found[1] as PackageManager, major: Number(found[2]), spec: value as string };
}
