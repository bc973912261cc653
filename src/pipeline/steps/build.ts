import { hasScript, readPackageJson } from "../../apps/read-package-json.js";
import type { Step } from "../context.js";
import { generatePrismaClient } from "../generate-prisma-client.js";
import { refuseOutsideApp } from "./refuse-outside-app.js";

/**
 * Generates the Prisma client when the app's schema declares models (see
 * generate-prisma-client), then runs coduck.json `build`, else the package.json build script,
 * else nothing more.
 */
export const build: Step = {
  name: "build",
  changesRelease: true,
  async run(ctx) {
    const generated = await refuseOutsideApp(() => generatePrismaClient(ctx, "BUILD_FAILED"));
    if (generated) ctx.say(generated);
    const custom = ctx.app.config.build;
    if (custom) {
      await ctx.sh(custom, { failureCode: "BUILD_FAILED" });
      return { status: "succeeded" };
    }
    if (!hasScript(await readPackageJson(ctx.releaseDir), "build")) {
      if (generated) return { status: "succeeded" };
      return {
        status: "skipped",
        reason: "no build command: neither coduck.json build nor a package.json build script",
      };
    }
    await ctx.run("npm", ["run", "build"], { failureCode: "BUILD_FAILED" });
    return { status: "succeeded" };
  },
};
