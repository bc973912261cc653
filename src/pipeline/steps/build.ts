import { hasScript, readPackageJson } from "../../apps/read-package-json.js";
import { restoreBuildCache, saveBuildCache } from "../../caches/build-cache.js";
import { buildCachePaths } from "../../caches/build-cache-paths.js";
import type { Step, StepContext } from "../context.js";
import { generatePrismaClient } from "../generate-prisma-client.js";
import { refuseOutsideApp } from "./refuse-outside-app.js";

/**
 * Generates the Prisma client when the app's schema declares models (see
 * generate-prisma-client), then runs coduck.json `build`, else the package.json build script,
 * else nothing more. The project's build caches (caches/build-cache.ts) are put back before and
 * kept after a build that succeeded.
 */
export const build: Step = {
  name: "build",
  changesRelease: true,
  async run(ctx) {
    const manifest = await readPackageJson(ctx.releaseDir);
    const custom = ctx.app.config.build;
    const hasBuild = Boolean(custom) || hasScript(manifest, "build");
    const cache = hasBuild ? await buildCache(ctx, manifest) : null;
    const generated = await refuseOutsideApp(() => generatePrismaClient(ctx, "BUILD_FAILED"));
    if (generated) ctx.say(generated);
    if (custom) {
      await ctx.sh(custom, { failureCode: "BUILD_FAILED" });
    } else if (hasBuild) {
      await ctx.run("npm", ["run", "build"], { failureCode: "BUILD_FAILED" });
    } else {
      if (generated) return { status: "succeeded" };
      return {
        status: "skipped",
        reason: "no build command: neither coduck.json build nor a package.json build script",
      };
    }
    await cache?.keep();
    return { status: "succeeded" };
  },
};

/** Restores the project's build caches now; `keep` saves them once the build succeeded. */
async function buildCache(
  ctx: StepContext,
  manifest: Awaited<ReturnType<typeof readPackageJson>>,
): Promise<{ keep(): Promise<void> } | null> {
  const maxBytes = ctx.config.caches.buildMaxBytes;
  if (maxBytes === 0) return null;
  const { paths, note } = await buildCachePaths(ctx.releaseDir, manifest);
  if (note) ctx.say(note);
  const where = {
    dataDir: ctx.config.dataDir,
    projectId: ctx.deployment.projectId,
    releaseDir: ctx.releaseDir,
    paths,
  };
  const restored = await restoreBuildCache(where).catch(
    (error: Error) => `build cache not restored: ${error.message}`,
  );
  if (restored) ctx.say(restored);
  return {
    async keep() {
      const kept = await saveBuildCache({ ...where, maxBytes }).catch(
        (error: Error) => `build cache not kept: ${error.message}`,
      );
      if (kept) ctx.say(kept);
    },
  };
}
