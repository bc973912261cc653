import { installScriptWarnings } from "../../apps/install-script-warnings.js";
import { installCommand } from "../../apps/package-manager.js";
import { readPackageJson } from "../../apps/read-package-json.js";
import { StepFailure } from "../../failures/step-failure.js";
import type { Step } from "../context.js";

/**
 * Installs the app's dependencies the way its lockfile says (npm, pnpm, yarn or bun), or with
 * coduck.json `install`; warns about what makes an install unrepeatable or incomplete.
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
      await ctx.sh(custom, { failureCode: "INSTALL_FAILED" });
      return { status: "succeeded" };
    }
    const plan = await installCommand(ctx.releaseDir).catch((error: Error) => {
      throw new StepFailure("CONFIG_INVALID", error.message, { evidence: error.message });
    });
    if (plan.warning) await ctx.warn(plan.warning);
    const scriptLines: string[] = [];
    await ctx.run(plan.file, plan.args, {
      failureCode: "INSTALL_FAILED",
      env: plan.env,
      onLine: (line) => {
        if (line.startsWith("npm warn install-scripts")) scriptLines.push(line);
      },
    });
    for (const warning of installScriptWarnings(scriptLines)) await ctx.warn(warning);
    return { status: "succeeded" };
  },
};
