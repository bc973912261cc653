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
  const [file, args, env] = await command(appDir, manager, declared, frozen);
  const plan: InstallPlan = { manager, file, args, env, lockfile: chosen?.file ?? null };
  const warning = lockfileWarning(manager, declared, chosen?.file, ignored);
  return warning ? { ...plan, warning } : plan;
}

async function command(
  appDir: string,
  manager: PackageManager,
  declared: Declared | undefined,
  frozen: boolean,
): Promise<[string, string[], Record<string, string>]> {
  switch (manager) {
    case "npm":
      return ["npm", [frozen ? "ci" : "install"], {}];
    case "pnpm":
      // CI=true makes pnpm freeze the lockfile by default, which fails when there is none.
      return [
        "corepack",
        ["pnpm", "install", frozen ? "--frozen-lockfile" : "--no-frozen-lockfile"],
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
