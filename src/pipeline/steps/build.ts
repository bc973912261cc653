import { readFile } from "node:fs/promises";
import path from "node:path";
import { StepFailure } from "../../failures/step-failure.js";
import type { Step } from "../context.js";

/** Runs the app's own build script, when it has one. */
export const build: Step = {
  name: "build",
  async run(ctx) {
    const manifest = await readManifest(ctx.releaseDir);
    if (typeof manifest?.scripts?.build !== "string") {
      return { status: "skipped", reason: "package.json has no build script" };
    }
    await ctx.run("npm", ["run", "build"], "BUILD_FAILED");
    return { status: "succeeded" };
  },
};

async function readManifest(dir: string) {
  const text = await readFile(path.join(dir, "package.json"), "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StepFailure(
      "BUILD_FAILED",
      `package.json is not valid JSON (${(error as Error).message})`,
    );
  }
}
