import { hasScript, readPackageJson } from "../../apps/read-package-json.js";
import type { Step } from "../context.js";

/** coduck.json `build`, else the package.json build script, else nothing to do. */
export const build: Step = {
  name: "build",
  changesRelease: true,
  async run(ctx) {
    const custom = ctx.app.config.build;
    if (custom) {
      await ctx.sh(custom, { failureCode: "BUILD_FAILED" });
      return { status: "succeeded" };
    }
    if (!hasScript(await readPackageJson(ctx.releaseDir), "build")) {
      return {
        status: "skipped",
        reason: "no build command: neither coduck.json build nor a package.json build script",
      };
    }
    await ctx.run("npm", ["run", "build"], { failureCode: "BUILD_FAILED" });
    return { status: "succeeded" };
  },
};
