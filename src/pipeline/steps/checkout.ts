import { mkdir } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { readAppFile } from "../../apps/read-app-file.js";
import { readCoduckJson } from "../../apps/read-coduck-json.js";
import { StepFailure } from "../../failures/step-failure.js";
import { recordCommit } from "../../store/deployments.js";
import type { Step, StepContext } from "../context.js";

/** Fetches exactly the pushed ref (branch, tag or commit sha) into a fresh release directory. */
export const checkout: Step = {
  name: "checkout",
  // The worker's git fetching a repository (a local one too): no app code runs yet.
  outsideSandbox: true,
  async run(ctx) {
    const { repoUrl, ref } = ctx.deployment;
    await mkdir(ctx.releaseDir, { recursive: true });
    const git = { failureCode: "CHECKOUT_FAILED" } as const;
    await ctx.run("git", ["init", "--quiet", "."], git);
    await ctx.run("git", ["fetch", "--quiet", "--depth=1", "--no-tags", repoUrl, ref], git);
    await ctx.run("git", ["checkout", "--quiet", "--detach", "FETCH_HEAD"], git);
    const sha = await recordHead(ctx);
    ctx.say(`checked out ${ref} at ${sha}`);
    await readAppConfig(ctx);
    return { status: "succeeded" };
  },
  changesRelease: true,
  async restore(ctx) {
    ctx.say(`reused the checkout of ${await recordHead(ctx)}`);
    await readAppConfig(ctx);
  },
};

async function recordHead(ctx: StepContext): Promise<string> {
  const sha = await headCommit(ctx.releaseDir);
  await recordCommit(ctx.db, ctx.deployment.id, sha);
  return sha;
}

const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The commit checked out. A detached HEAD names it in .git/HEAD, which is read as a file (a
 * process less per deploy); anything else there is git's to resolve.
 */
async function headCommit(releaseDir: string): Promise<string> {
  const head = await readAppFile(releaseDir, path.join(releaseDir, ".git", "HEAD")).catch(() => "");
  if (COMMIT_ID.test(head.trim())) return head.trim();
  const { stdout } = await execa("git", ["rev-parse", "HEAD"], { cwd: releaseDir });
  return stdout;
}

/** Reads and checks coduck.json into the context: the app's commands, settings and variables. */
async function readAppConfig(ctx: StepContext): Promise<void> {
  const coduckJson = await readCoduckJson(ctx.releaseDir);
  if (!coduckJson.ok) {
    throw new StepFailure(coduckJson.problem.code, coduckJson.problem.message, {
      evidence: coduckJson.problem.message,
    });
  }
  ctx.app.config = coduckJson.config;
  // The app's own variables; the platform's injected ones (already set) win.
  for (const [name, value] of Object.entries(coduckJson.config.env ?? {}))
    ctx.appEnv[name] ??= value;
  if (Object.keys(coduckJson.config).length > 0) ctx.say("read coduck.json");
}
