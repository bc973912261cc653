import path from "node:path";
import { schemaDeclaresModels } from "../schema/declares-models.js";
import { findPrismaSchema } from "../schema/find-prisma-schema.js";
import { prismaArgs, prismaBin } from "../schema/prisma-commands.js";
import { prismaVersion } from "../schema/prisma-version.js";
import { prismaEnv } from "../schema/run-prisma.js";
import type { StepContext } from "./context.js";

/**
 * Runs `prisma generate` with the app's own Prisma when its schema declares models, whether or
 * not a preStart owns the schema: after install (npm 11 and pnpm 10 skip @prisma/client's own
 * postinstall generate) and before the build, so a build that imports the client compiles and
 * a start that uses it finds it. In the box, like every app command. Returns what it did, or
 * null when there is nothing to generate; a failure fails the calling step with `failureCode`.
 */
export async function generatePrismaClient(
  ctx: StepContext,
  failureCode: "BUILD_FAILED",
): Promise<string | null> {
  const schema = await findPrismaSchema(ctx.releaseDir);
  if (!schema || !(await schemaDeclaresModels(ctx.releaseDir, schema))) return null;
  const version = await prismaVersion(ctx.releaseDir);
  if (!version) {
    // The schema step says what is missing when it applies the schema itself.
    ctx.say(
      "the Prisma schema declares models, but the app has no Prisma CLI: client not generated",
    );
    return null;
  }
  const schemaArg = path.relative(ctx.releaseDir, schema.path);
  await ctx.run(prismaBin(ctx.releaseDir), prismaArgs.generate(schemaArg), {
    failureCode,
    env: prismaEnv(ctx.appEnv.DIRECT_URL ?? ""),
  });
  return `Prisma ${version.version} client generated from ${schemaArg}`;
}
