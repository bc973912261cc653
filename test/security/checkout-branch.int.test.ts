import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import type { FastifyInstance } from "fastify";
import { githubSignature } from "../../src/http/webhook/github-signature.js";
import { addProject } from "../../src/store/projects.js";
import { fixtureRepo, type GitRepo } from "../helpers/git-repo.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Issue 18 item 6: checkout fetched the payload's `after` commit by sha, so a signed push could
// deploy any commit the repository holds: one only on another branch, a pull request's head
// (refs/pull/N/head, which GitHub serves for forks' commits), an old release. Checkout now
// fetches the project's deploy branch and refuses a commit that is not in its history.
/** How long a deploy here may take to end. */
const DEPLOY_WAIT = 180_000;
/** A test's own limit: its deploys' waits, and time for the rest. */
const TIMEOUT = DEPLOY_WAIT + 60_000;
let stack: TestStack;
let app: FastifyInstance;

beforeAll(async () => {
  stack = await createTestStack();
  app = await buildTestApp(stack);
  await stack.startWorker();
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

const git = (repo: GitRepo, ...args: string[]) =>
  execa("git", args, {
    cwd: repo.dir,
    env: {
      GIT_AUTHOR_NAME: "Mallory",
      GIT_AUTHOR_EMAIL: "m@example.invalid",
      GIT_COMMITTER_NAME: "Mallory",
      GIT_COMMITTER_EMAIL: "m@example.invalid",
    },
  });

/** Registers the repository as a project deploying `main`; returns a function that pushes. */
async function project(slug: string, repo: GitRepo) {
  const { webhookSecret } = await addProject(stack.db, stack.keyring, {
    slug,
    repoUrl: repo.dir,
    branch: "main",
  });
  return async (after: string): Promise<string> => {
    const body = JSON.stringify({
      ref: "refs/heads/main",
      after,
      repository: { full_name: `local/${slug}`, clone_url: repo.dir },
    });
    const response = await app.inject({
      method: "POST",
      url: "/webhooks/github",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": githubSignature(webhookSecret, body),
      },
      payload: body,
    });
    expect(response.statusCode).toBe(201);
    return response.json().deploymentId;
  };
}

/** The deployment failed at checkout with the refusal, and nothing of it was deployed. */
async function expectRefused(id: string, sha: string, slug: string, repo: GitRepo) {
  const record = await stack.waitForEnd(id, DEPLOY_WAIT);
  expect(record).toMatchObject({ status: "failed", errorCode: "CHECKOUT_FAILED", release: null });
  const checkout = record.steps.find((s) => s.name === "checkout");
  expect(checkout?.evidence).toBe(
    `commit ${sha} is not on branch main of ${repo.dir}: a push deploys only commits of the project's deploy branch`,
  );
  expect(record.steps.filter((s) => s.status === "succeeded").map((s) => s.name)).toEqual([
    "provision",
  ]);
  const row = await stack.db.project.findUniqueOrThrow({ where: { slug } });
  expect(row.liveDeploymentId).toBeNull();
  // The commit never reached the release directory.
  const release = path.join(stack.config.dataDir, "releases", slug, `${id}-1`);
  expect(existsSync(path.join(release, "evil.txt"))).toBe(false);
  const objects = await execa("git", ["cat-file", "-e", `${sha}^{commit}`], {
    cwd: release,
    reject: false,
  });
  expect(objects.exitCode).not.toBe(0);
}

it(
  "refuses a pushed commit that is only on another branch of the same repository",
  async () => {
    const repo = await fixtureRepo("node-http");
    await git(repo, "checkout", "--quiet", "-b", "feature");
    const evil = await repo.commit({ "evil.txt": "not reviewed\n" }, "only on feature");
    await git(repo, "checkout", "--quiet", "main");
    const pushOf = await project("branch-only", repo);
    await expectRefused(await pushOf(evil), evil, "branch-only", repo);
  },
  TIMEOUT,
);

it(
  "refuses a pull request's head commit (refs/pull/1/head), on no branch at all",
  async () => {
    const repo = await fixtureRepo("node-http");
    await git(repo, "checkout", "--quiet", "--detach");
    const evil = await repo.commit({ "evil.txt": "from a fork\n" }, "a fork's pull request");
    await git(repo, "update-ref", "refs/pull/1/head", evil);
    await git(repo, "checkout", "--quiet", "main");
    const pushOf = await project("pull-head", repo);
    await expectRefused(await pushOf(evil), evil, "pull-head", repo);
  },
  TIMEOUT,
);

it(
  "deploys a commit of the deploy branch that is no longer its tip",
  async () => {
    const repo = await fixtureRepo("node-http");
    const older = await repo.commit({ "version.txt": "1\n" }, "pushed");
    await repo.commit({ "version.txt": "2\n" }, "pushed after it");
    await repo.commit({ "version.txt": "3\n" }, "and again");
    const pushOf = await project("older-commit", repo);
    const record = await stack.waitForEnd(await pushOf(older), DEPLOY_WAIT);
    expect(record).toMatchObject({ status: "succeeded", commitSha: older });
  },
  TIMEOUT,
);
