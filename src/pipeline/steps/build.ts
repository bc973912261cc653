import { createHash } from "node:crypto";
import path from "node:path";
import { isAppFile, readOptionalAppFile } from "../../apps/read-app-file.js";
import { hasScript, readPackageJson } from "../../apps/read-package-json.js";
import { restoreBuildCache, saveBuildCache } from "../../caches/build-cache.js";
import { buildCachePaths } from "../../caches/build-cache-paths.js";
import { findPrismaSchema } from "../../schema/find-prisma-schema.js";
import { prismaLoads } from "../../schema/push-inputs-hash.js";
import type { Step, StepContext } from "../context.js";
import { generatePrismaClient } from "../generate-prisma-client.js";
import { refuseOutsideApp } from "./refuse-outside-app.js";

/**
 * Generates the Prisma client when the app's schema declares models (see
 * generate-prisma-client), then runs coduck.json `build`, else the package.json build script,
 * else nothing more. The project's build caches (caches/build-cache.ts) are put back before and
 * kept after a build that succeeded. The schema step pushes with no generate of its own, so a
 * build that changed the schema (assembled from parts, say) or removed the generated client
 * has the client generated again after it, from the schema the push will apply.
 */
export const build: Step = {
  name: "build",
  changesRelease: true,
  async run(ctx) {
    const manifest = await readPackageJson(ctx.releaseDir);
    const custom = ctx.app.config.build;
    const hasBuild = Boolean(custom) || hasScript(manifest, "build");
    const cache = hasBuild ? await buildCache(ctx, manifest) : null;
    const generated = cache?.prismaClientReused
      ? "Prisma client reused: its schema, Prisma config and Prisma packages are those of the last build"
      : await refuseOutsideApp(() => generatePrismaClient(ctx, "BUILD_FAILED"));
    if (generated) ctx.say(generated);
    const schemaBefore = generated ? await clientSource(ctx.releaseDir) : null;
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
    let keepClient = true;
    if (generated && (await clientSource(ctx.releaseDir)) !== schemaBefore) {
      ctx.say("the build changed the Prisma schema or removed its client: generating it again");
      await refuseOutsideApp(() => generatePrismaClient(ctx, "BUILD_FAILED"));
      // Kept under the key of the schema before the build: not this client.
      keepClient = false;
    }
    await cache?.keep(keepClient);
    return { status: "succeeded" };
  },
};

/**
 * What the client generated before the build came from, and whether it is still there: the
 * schema's files, and the default output's presence. Compared before and after the build.
 */
async function clientSource(appDir: string): Promise<string> {
  const schema = await findPrismaSchema(appDir).catch(() => null);
  if (!schema) return "no schema";
  const hash = createHash("sha256");
  for (const file of [...schema.files].sort())
    hash.update(
      `${path.relative(appDir, file)}\0${(await readOptionalAppFile(appDir, file).catch(() => null)) ?? "\0missing"}\0`,
    );
  const client = await isAppFile(appDir, path.join(appDir, PRISMA_CLIENT, "index.js")).catch(
    () => false,
  );
  hash.update(client ? "client" : "no client");
  return hash.digest("hex");
}

/** Where `prisma generate` writes the client (prisma-client-js without an `output`). */
const PRISMA_CLIENT = "node_modules/.prisma/client";

/**
 * Restores the project's build caches now; `keep` saves them once the build succeeded. The
 * generated Prisma client is one of them, kept under a key of what it is generated from: when
 * that is unchanged, the build does not generate it again.
 */
async function buildCache(
  ctx: StepContext,
  manifest: Awaited<ReturnType<typeof readPackageJson>>,
): Promise<{ prismaClientReused: boolean; keep(withClient: boolean): Promise<void> } | null> {
  const maxBytes = ctx.config.caches.buildMaxBytes;
  if (maxBytes === 0) return null;
  const { paths, note } = await buildCachePaths(ctx.releaseDir, manifest);
  if (note) ctx.say(note);
  const prismaKey = await prismaClientKey(ctx.releaseDir).catch(() => null);
  const keys: Record<string, string> = prismaKey ? { [PRISMA_CLIENT]: prismaKey } : {};
  const where = {
    dataDir: ctx.config.dataDir,
    projectId: ctx.deployment.projectId,
    releaseDir: ctx.releaseDir,
    paths: prismaKey ? [...paths, PRISMA_CLIENT] : paths,
    keys,
  };
  const restored = await restoreBuildCache(where).catch((error: Error) => ({
    line: `build cache not restored: ${error.message}`,
    restored: [] as string[],
  }));
  ctx.say(restored.line);
  return {
    prismaClientReused: restored.restored.includes(PRISMA_CLIENT),
    async keep(withClient) {
      const paths = withClient ? where.paths : where.paths.filter((p) => p !== PRISMA_CLIENT);
      const kept = await saveBuildCache({ ...where, paths, maxBytes }).catch(
        (error: Error) => `build cache not kept: ${error.message}`,
      );
      if (kept) ctx.say(kept);
    },
  };
}

/**
 * What the generated Prisma client is made from: the schema's files, the Prisma config and the
 * app files it imports, what the lockfile pins of Prisma's packages and those the config
 * imports (prisma-packages-digest), and the Node that runs the generator. Null when the client
 * is not generated into node_modules/.prisma/client (a generator with its own `output`, or
 * another provider), there is no schema, or the config's imports cannot be pinned down.
 */
async function prismaClientKey(appDir: string): Promise<string | null> {
  const schema = await findPrismaSchema(appDir);
  if (!schema) return null;
  const hash = createHash("sha256").update(process.version);
  for (const file of [...schema.files].sort()) {
    const text = (await readOptionalAppFile(appDir, file)) ?? "";
    for (const generator of text.matchAll(/\bgenerator\s+\w+\s*\{([^}]*)\}/g)) {
      const body = generator[1] ?? "";
      if (/^\s*output\s*=/m.test(body) || !/provider\s*=\s*"prisma-client-js"/.test(body))
        return null;
    }
    hash.update(`\0${path.relative(appDir, file)}\0${text}`);
  }
  const loaded = await prismaLoads(appDir, schema.configFile);
  if ("unknown" in loaded) return null;
  for (const [name, digest] of loaded.parts) hash.update(`\0${name}\0${digest}`);
  return hash.digest("hex");
}
