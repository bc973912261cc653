import { chown, mkdtemp, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { installScriptWarnings } from "../../apps/install-script-warnings.js";
import { type InstallPlan, installCommand } from "../../apps/package-manager.js";
import { readOptionalAppFile } from "../../apps/read-app-file.js";
import { type PackageJson, readPackageJson } from "../../apps/read-package-json.js";
import { boxedCopy, releaseOwner } from "../../caches/boxed-copy.js";
import { cacheDirs } from "../../caches/cache-dirs.js";
import { type InstallInputs, installInputs } from "../../caches/install-inputs.js";
import {
  type CacheMode,
  restoreNodeModules,
  saveNodeModules,
} from "../../caches/node-modules-cache.js";
import {
  harvestIntoStore,
  type Integrity,
  lockfileIntegrities,
  seedFromStore,
} from "../../caches/package-store.js";
import { projectHome } from "../../exec/sandbox.js";
import { StepFailure } from "../../failures/step-failure.js";
import type { Step, StepContext } from "../context.js";

/**
 * Installs the app's dependencies the way its lockfile says (npm, pnpm, yarn or bun), or with
 * coduck.json `install`; warns about what makes an install unrepeatable or incomplete.
 *
 * A redeploy whose install inputs are unchanged (caches/install-inputs.ts: lockfile, package.json
 * dependencies, Node, package manager, platform) reuses the project's kept node_modules instead
 * (caches/node-modules-cache.ts); the log says so, or why not. An npm install starts from the
 * shared package store (caches/package-store.ts), not from an empty cache.
 */
export const install: Step = {
  name: "install",
  changesRelease: true,
  async run(ctx) {
    const manifest = await readPackageJson(ctx.releaseDir).catch((error: Error) => {
      throw new StepFailure("CONFIG_INVALID", error.message, { evidence: error.message });
    });
    if (!manifest) {
      throw new StepFailure("CONFIG_INVALID", "the repository has no package.json at its root", {
        evidence: "no package.json",
      });
    }
    const custom = ctx.app.config.install;
    if (custom) {
      await withPackageStore(ctx, null, (env) =>
        ctx.sh(custom, { failureCode: "INSTALL_FAILED", env }),
      );
      return { status: "succeeded" };
    }
    const plan = await installCommand(ctx.releaseDir).catch((error: Error) => {
      throw new StepFailure("CONFIG_INVALID", error.message, { evidence: error.message });
    });
    if (plan.warning) await ctx.warn(plan.warning);
    const inputs = await reusableInputs(ctx, plan, manifest);
    if (inputs && (await reused(ctx, inputs))) return { status: "succeeded" };

    const scriptLines: string[] = [];
    const home = inputs ? await privateHome(ctx, plan) : null;
    try {
      await withPackageStore(ctx, plan, (env) =>
        ctx.run(plan.file, plan.args, {
          failureCode: "INSTALL_FAILED",
          env: { ...env, ...plan.env },
          onLine: (line) => {
            if (line.startsWith("npm warn install-scripts")) scriptLines.push(line);
          },
          ...(home && { privateHome: home }),
        }),
      );
    } catch (error) {
      if (home) await rm(home, { recursive: true, force: true });
      throw error;
    }
    if (home) await leaveHome(ctx, home);
    for (const warning of installScriptWarnings(scriptLines)) await ctx.warn(warning);
    if (inputs) {
      // Before any other app command runs in this release: see node-modules-cache.ts.
      await saveNodeModules({
        ...cacheArgs(ctx),
        inputs,
        maxBytes: ctx.config.caches.nodeModulesMaxBytes,
        sealed: home !== null && ctx.sandbox?.sealed() === true,
      }).then(
        (line) => ctx.say(line),
        (error: Error) => ctx.say(`node_modules not cached: ${error.message}`),
      );
    }
    return { status: "succeeded" };
  },
};

/**
 * A HOME of the install's own, inside the release, for an npm install in a box as the project's
 * uid: npm needs nothing of the project's HOME (its cache is the install's scratch one), and
 * without it the install shares no writable place with the live release, so its tree can be
 * kept by moving it rather than copying (node-modules-cache.ts). It also keeps a live
 * release's ~/.npmrc out of the next install. Only for an install that follows a lockfile
 * (whose npm cache is a scratch one seeded from the package store, and whose tree is kept);
 * others keep their caches (npm's without a lockfile, pnpm's store, corepack's downloads) in the
 * project's HOME.
 */
async function privateHome(ctx: StepContext, plan: InstallPlan): Promise<string | null> {
  if (plan.manager !== "npm" || cacheArgs(ctx).mode !== "link") return null;
  const home = await mkdtemp(path.join(ctx.releaseDir, ".coduck-home-"));
  // Made the app's by the hand-over of the first box, or here when that has happened already.
  const owner = await releaseOwner(ctx.releaseDir);
  if (owner) await chown(home, owner.uid, owner.gid);
  return home;
}

/**
 * Carries what the install's own scripts left in its private HOME (a browser Puppeteer's
 * postinstall downloads into ~/.cache, say) over to the project's HOME, where the build and
 * the release look for it: copied by the app's uid in a box that shows the two directories
 * only (new files, none shared with node_modules), each file replaced rather than rewritten
 * (the live release may be running the one it replaces). Not npm's own ~/.npm (its cache when
 * the lockfile names no sha512 integrity, and its logs). Then the private HOME goes. A copy
 * that fails is a warning: the install itself succeeded.
 */
async function leaveHome(ctx: StepContext, home: string): Promise<void> {
  try {
    const left = (await readdir(home).catch(() => [])).filter((name) => name !== ".npm");
    if (left.length === 0) return;
    const shown = left.slice(0, 5).map((name) => JSON.stringify(name));
    if (left.length > 5) shown.push(`${left.length - 5} more`);
    await boxedCopy({
      from: home,
      to: projectHome(ctx.config.dataDir, ctx.deployment.project),
      owner: await releaseOwner(ctx.releaseDir),
      script: CARRY_HOME_SCRIPT,
      args: left,
    }).then(
      () =>
        ctx.say(
          `carried over to the project's HOME what the install left in its own: ${shown.join(", ")}`,
        ),
      (error: Error) =>
        ctx.warn(
          `what the install left in its HOME (${shown.join(", ")}) could not be carried over to the project's HOME, where the build and the release look for it: ${error.message}`,
        ),
    );
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Each name ($@) from $SRC into $DST, merged, a file there unlinked before it is replaced. */
const CARRY_HOME_SCRIPT = `set -e
for name in "$@"; do
  cp -R -P --preserve=mode,timestamps --remove-destination -- "$SRC/$name" "$DST/"
done`;

/** The inputs of an install that can be reused: one that follows a lockfile. */
async function reusableInputs(
  ctx: StepContext,
  plan: InstallPlan,
  manifest: PackageJson,
): Promise<InstallInputs | null> {
  if (!plan.lockfile) {
    ctx.say("node_modules not reused: no lockfile");
    return null;
  }
  const lockfileText = await readOptionalAppFile(
    ctx.releaseDir,
    path.join(ctx.releaseDir, plan.lockfile),
  );
  if (lockfileText === null) return null;
  return installInputs({ plan, lockfileText, manifest, variables: ctx.appEnv });
}

/** Restores the kept node_modules for `inputs`; says what happened either way. */
async function reused(ctx: StepContext, inputs: InstallInputs): Promise<boolean> {
  const restored = await restoreNodeModules({ ...cacheArgs(ctx), inputs }).catch(
    (error: Error) => ({ restored: false as const, reason: error.message }),
  );
  const lockfile = `${inputs.lockfile} ${inputs.lockfileHash.slice(0, 4)}…`;
  if (!restored.restored) {
    ctx.say(`node_modules not reused: ${restored.reason}`);
    return false;
  }
  ctx.noteCommand(`reuse node_modules ${restored.key}`);
  ctx.say(`reused node_modules for ${lockfile} (${restored.seconds.toFixed(1)} s)`);
  return true;
}

function cacheArgs(ctx: StepContext): {
  dataDir: string;
  projectId: string;
  releaseDir: string;
  mode: CacheMode;
} {
  // Links only where the box runs as a uid other than the kept files' owner (see node-modules-cache).
  const mode: CacheMode = ctx.sandbox !== null && process.getuid?.() === 0 ? "link" : "copy";
  return {
    dataDir: ctx.config.dataDir,
    projectId: ctx.deployment.projectId,
    releaseDir: ctx.releaseDir,
    mode,
  };
}

/**
 * Runs an npm install with a scratch npm cache of its own, seeded from the shared package store
 * with the packages its lockfile names, and afterwards adds to the store what it fetched
 * (verified). Other installs (pnpm, yarn, bun, or no npm lockfile) run as they are.
 */
async function withPackageStore(
  ctx: StepContext,
  plan: InstallPlan | null,
  install: (env: Record<string, string>) => Promise<void>,
): Promise<void> {
  const lockfile = plan ? plan.lockfile : await npmLockfileOf(ctx);
  if ((plan && plan.manager !== "npm") || !lockfile || ctx.sandbox === null) return install({});
  const text = await readOptionalAppFile(ctx.releaseDir, path.join(ctx.releaseDir, lockfile));
  const integrities: Integrity[] = text ? lockfileIntegrities(text) : [];
  if (integrities.length === 0) return install({});
  const dirs = cacheDirs(ctx.config.dataDir);
  const store = { shared: dirs.packages, project: dirs.project(ctx.deployment.projectId).packages };
  // In the release directory, made now: no app process has seen it (or the release) yet.
  const cacheDir = await mkdtemp(path.join(ctx.releaseDir, ".coduck-npm-cache-"));
  try {
    const seeded = await seedFromStore(store, cacheDir, integrities);
    ctx.say(`package store: ${seeded} of ${integrities.length} packages already here`);
    await install({ npm_config_cache: cacheDir, npm_config_prefer_offline: "true" });
    const harvest = await harvestIntoStore(store, cacheDir, integrities);
    if (harvest.added > 0 || harvest.rejected > 0 || harvest.capped > 0)
      ctx.say(
        `package store: ${harvest.added} packages added` +
          (harvest.rejected > 0
            ? `, ${harvest.rejected} refused (their content does not match the lockfile's integrity)`
            : "") +
          (harvest.capped > 0 ? `, ${harvest.capped} left out (over this deploy's bound)` : "") +
          (harvest.added > 0
            ? ` (${harvest.shared} public, shared; ${harvest.added - harvest.shared} this project's own)`
            : ""),
      );
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

async function npmLockfileOf(ctx: StepContext): Promise<string | null> {
  for (const file of ["npm-shrinkwrap.json", "package-lock.json"]) {
    if (
      (await readOptionalAppFile(ctx.releaseDir, path.join(ctx.releaseDir, file)).catch(
        () => null,
      )) !== null
    )
      return file;
  }
  return null;
}
