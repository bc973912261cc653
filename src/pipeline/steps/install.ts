import { access } from "node:fs/promises";
import path from "node:path";
import { StepFailure } from "../../failures/step-failure.js";
import type { Step } from "../context.js";

/** Installs the app's dependencies exactly as its lockfile pins them. */
export const install: Step = {
  name: "install",
  async run(ctx) {
    if (!(await exists(path.join(ctx.releaseDir, "package.json")))) {
      throw new StepFailure("INSTALL_FAILED", "the repository has no package.json at its root");
    }
    if (await exists(path.join(ctx.releaseDir, "package-lock.json"))) {
      await ctx.run("npm", ["ci"], "INSTALL_FAILED");
    } else {
      await ctx.warn(
        "no package-lock.json: dependencies were resolved afresh with `npm install`; commit a lockfile for repeatable deploys",
      );
      await ctx.run("npm", ["install"], "INSTALL_FAILED");
    }
    return { status: "succeeded" };
  },
};

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
