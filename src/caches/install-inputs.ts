import { createHash } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import type { InstallPlan } from "../apps/package-manager.js";

/**
 * What an installed node_modules depends on. Two installs with equal inputs produce the same
 * tree, so the second one can reuse the first's: the lockfile, the dependency fields and
 * install scripts of package.json, the Node the box runs (version and native-module ABI), the
 * package manager and its version, the install command, the platform, and the app's variables
 * that change what a package manager installs (NODE_ENV, npm_config_*, …).
 */
export type InstallInputs = {
  lockfile: string;
  lockfileHash: string;
  manifestHash: string;
  node: string;
  abi: string;
  packageManager: string;
  command: string;
  platform: string;
  variablesHash: string;
};

/** package.json fields whose change changes what is installed, or what install scripts do. */
const MANIFEST_FIELDS = [
  "dependencies",
  "devDependencies",
  "optionalDependencies",
  "peerDependencies",
  "bundleDependencies",
  "bundledDependencies",
  "overrides",
  "resolutions",
  "workspaces",
  "packageManager",
  "pnpm",
] as const;
/** The root package's own install lifecycle: their effect on node_modules is part of the tree. */
const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall", "prepare"] as const;
/** Variables a package manager reads that change what it installs. */
const INSTALL_VARIABLE = /^(NODE_ENV|npm_config_.*|NPM_CONFIG_.*|YARN_.*|PNPM_.*|COREPACK_.*)$/;

export function installInputs(args: {
  plan: InstallPlan;
  lockfileText: string;
  manifest: Record<string, unknown>;
  variables: Record<string, string>;
}): InstallInputs {
  const { plan, manifest } = args;
  const scripts = (manifest.scripts ?? {}) as Record<string, unknown>;
  const manifestPart = {
    fields: MANIFEST_FIELDS.map((field) => [field, manifest[field] ?? null]),
    scripts: INSTALL_SCRIPTS.map((name) => [name, scripts[name] ?? null]),
  };
  const variables = Object.entries({ ...args.variables, ...plan.env })
    .filter(([name]) => INSTALL_VARIABLE.test(name))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    lockfile: plan.lockfile ?? "",
    lockfileHash: sha256(args.lockfileText),
    manifestHash: sha256(JSON.stringify(manifestPart)),
    node: process.version,
    abi: process.versions.modules,
    packageManager: packageManagerVersion(plan, manifest),
    command: [plan.file, ...plan.args].join(" "),
    platform: platformName(),
    variablesHash: sha256(JSON.stringify(variables)),
  };
}

/** The cache key of an install: a hash of all its inputs. */
export function installKey(inputs: InstallInputs): string {
  return sha256(JSON.stringify(inputs)).slice(0, 32);
}

/**
 * Why an install with `now` cannot reuse the one made with `before`, in a few words for the
 * step log: `lockfile changed`, `node 20.x → 22.x`, `npm 10.8.2 → 11.0.0`, …
 */
export function whyNotReused(before: InstallInputs | null, now: InstallInputs): string {
  if (!before) return "no cache yet";
  const reasons: string[] = [];
  if (before.lockfile !== now.lockfile || before.lockfileHash !== now.lockfileHash)
    reasons.push(`${now.lockfile} changed`);
  if (before.manifestHash !== now.manifestHash)
    reasons.push("package.json dependencies or install scripts changed");
  if (before.node !== now.node || before.abi !== now.abi)
    reasons.push(`node ${nodeChange(before.node, now.node)}`);
  if (before.packageManager !== now.packageManager)
    reasons.push(`${before.packageManager} → ${now.packageManager}`);
  if (before.command !== now.command) reasons.push("install command changed");
  if (before.platform !== now.platform)
    reasons.push(`platform ${before.platform} → ${now.platform}`);
  if (before.variablesHash !== now.variablesHash)
    reasons.push("install variables (NODE_ENV, npm_config_*, …) changed");
  return reasons.join(", ") || "the cache is incomplete";
}

/** `20.x → 22.x` across majors, full versions within one. */
function nodeChange(before: string, now: string): string {
  const major = (v: string) => v.replace(/^v/, "").split(".")[0];
  if (major(before) !== major(now)) return `${major(before)}.x → ${major(now)}.x`;
  return `${before} → ${now}`;
}

function packageManagerVersion(plan: InstallPlan, manifest: Record<string, unknown>): string {
  if (typeof manifest.packageManager === "string") return manifest.packageManager;
  if (plan.manager === "npm") return `npm ${npmVersion()}`;
  return plan.major !== undefined ? `${plan.manager}@${plan.major}` : `${plan.manager} (corepack)`;
}

let npm: string | undefined;
/** The version of the npm the box runs: the one installed beside this Node. */
function npmVersion(): string {
  if (npm) return npm;
  const prefix = path.dirname(path.dirname(realpathSync(process.execPath)));
  try {
    const manifest = path.join(prefix, "lib", "node_modules", "npm", "package.json");
    npm = String(JSON.parse(readFileSync(manifest, "utf8")).version);
  } catch {
    npm = "unknown";
  }
  return npm;
}

let platform: string | undefined;
function platformName(): string {
  if (platform) return platform;
  const header = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } };
  const libc = header?.header?.glibcVersionRuntime;
  platform = `${process.platform}-${process.arch}${libc ? `-glibc${libc}` : "-musl"}`;
  return platform;
}

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}
