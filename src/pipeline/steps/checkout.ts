import { mkdir } from "node:fs/promises";
import { execa } from "execa";
import { recordCommit } from "../../store/deployments.js";
import type { Step } from "../context.js";

/** Fetches exactly the pushed ref (branch, tag or commit sha) into a fresh release directory. */
export const checkout: Step = {
  name: "checkout",
  async run(ctx) {
    const { repoUrl, ref } = ctx.deployment;
    await mkdir(ctx.releaseDir, { recursive: true });
    await ctx.run("git", ["init", "--quiet", "."], "CHECKOUT_FAILED");
    await ctx.run(
      "git",
      ["fetch", "--quiet", "--depth=1", "--no-tags", repoUrl, ref],
      "CHECKOUT_FAILED",
    );
    await ctx.run("git", ["checkout", "--quiet", "--detach", "FETCH_HEAD"], "CHECKOUT_FAILED");
    const { stdout: sha } = await execa("git", ["rev-parse", "HEAD"], { cwd: ctx.releaseDir });
    await recordCommit(ctx.db, ctx.deployment.id, sha);
    ctx.say(`checked out ${ref} at ${sha}`);
    return { status: "succeeded" };
  },
};
