import { mkdir } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { readAppFile } from "../../apps/read-app-file.js";
import { readCoduckJson } from "../../apps/read-coduck-json.js";
import { hostEnv } from "../../exec/child-env.js";
import { StepFailure } from "../../failures/step-failure.js";
import { addSecrets } from "../../secrets/redact-secrets.js";
import { redactUrl, urlCredentials } from "../../secrets/url-credentials.js";
import { recordCommit } from "../../store/deployments.js";
import { checkoutSource } from "../../store/projects.js";
import type { Step, StepContext } from "../context.js";

/**
 * Fetches the deployment's ref into a fresh release directory. A push (trigger `webhook`)
 * fetches the project's deploy branch and checks out the pushed commit only when it is on it;
 * a deploy an operator asked for (CLI, retry, rollback) fetches exactly the ref asked for.
 */
export const checkout: Step = {
  name: "checkout",
  // The worker's git fetching a repository (a local one too): no app code runs yet.
  outsideSandbox: true,
  async run(ctx) {
    const { ref } = ctx.deployment;
    // The URL with its credentials, if the project has some: it reaches git's argv only. The
    // step's command shows it redacted, and its credentials are redacted from the step's log.
    const source = await checkoutSource(ctx.db, ctx.keyring, ctx.deployment.id);
    addSecrets(ctx.secrets, urlCredentials(source.url));
    await mkdir(ctx.releaseDir, { recursive: true });
    await ctx.run("git", ["init", "--quiet", "."], GIT);
    if (source.onBranch === null) {
      await ctx.run("git", ["fetch", "--quiet", "--depth=1", "--no-tags", source.url, ref], GIT);
      await ctx.run("git", ["checkout", "--quiet", "--detach", "FETCH_HEAD"], GIT);
    } else {
      await fetchFromBranch(ctx, source.url, source.onBranch, ref);
      await ctx.run("git", ["checkout", "--quiet", "--detach", ref], GIT);
    }
    const sha = await recordHead(ctx);
    ctx.say(
      source.onBranch === null
        ? `checked out ${ref} at ${sha}`
        : `checked out ${sha}, on branch ${source.onBranch}`,
    );
    await readAppConfig(ctx);
    return { status: "succeeded" };
  },
  changesRelease: true,
  async restore(ctx) {
    ctx.say(`reused the checkout of ${await recordHead(ctx)}`);
    await readAppConfig(ctx);
  },
};

const GIT = { failureCode: "CHECKOUT_FAILED" } as const;
const BRANCH_TIP = "refs/coduck/deploy-branch";
/** How deep the branch is fetched, in turn, until the commit is found in its history. */
const DEPTHS = [1, 100, 2000];

/**
 * Fetches the deploy branch deep enough to find `sha` in its history, or refuses. The branch's
 * tip is fetched one commit deep first: a pushed commit is nearly always the tip still, so this
 * costs what fetching the commit alone did. When the branch has moved on, it is fetched deeper
 * (100, then 2000 commits), and at last whole. Only commits of the branch are ever fetched: a
 * commit that exists only elsewhere in the repository (another branch, a pull request's
 * `refs/pull/N/head`, an unreferenced old one) is never in the release directory.
 */
async function fetchFromBranch(ctx: StepContext, url: string, branch: string, sha: string) {
  const refused = (why: string) => {
    const message = `commit ${sha} ${why} of ${redactUrl(url)}: a push deploys only commits of the project's deploy branch`;
    return new StepFailure("CHECKOUT_FAILED", message, { evidence: message });
  };
  if (!COMMIT_ID.test(sha))
    throw refused(`is not a commit id, so not a commit on branch ${branch}`);
  const refspec = `+refs/heads/${branch}:${BRANCH_TIP}`;
  for (const depth of DEPTHS) {
    await ctx.run("git", ["fetch", "--quiet", `--depth=${depth}`, "--no-tags", url, refspec], GIT);
    if (await isAncestor(ctx.releaseDir, sha)) return;
    if (!(await isShallow(ctx.releaseDir))) throw refused(`is not on branch ${branch}`);
  }
  await ctx.run("git", ["fetch", "--quiet", "--unshallow", "--no-tags", url, refspec], GIT);
  if (!(await isAncestor(ctx.releaseDir, sha))) throw refused(`is not on branch ${branch}`);
}

/** Whether `sha` is the fetched branch tip or in its history (as far as it was fetched). */
async function isAncestor(releaseDir: string, sha: string): Promise<boolean> {
  const { exitCode } = await localGit(releaseDir, ["merge-base", "--is-ancestor", sha, BRANCH_TIP]);
  // 0: it is; 1: it is not; 128: no such commit here (not fetched: beyond the depth, or not on
  // the branch at all).
  return exitCode === 0;
}

async function isShallow(releaseDir: string): Promise<boolean> {
  const { stdout } = await localGit(releaseDir, ["rev-parse", "--is-shallow-repository"]);
  return stdout.trim() === "true";
}

/** A question git answers from the release's own .git (no network): not a step's command. */
function localGit(releaseDir: string, args: string[]) {
  return execa("git", args, { cwd: releaseDir, env: hostEnv(), extendEnv: false, reject: false });
}

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
  const { stdout } = await execa("git", ["rev-parse", "HEAD"], {
    cwd: releaseDir,
    env: hostEnv(),
    extendEnv: false,
  });
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
