import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import type { FastifyInstance } from "fastify";
import { githubSignature } from "../../src/http/webhook/github-signature.js";
import { addProject } from "../../src/store/projects.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// Strings a user controls — the repository path, the commit message, a branch name — full of
// shell syntax that would create a marker file if any shell ever interpreted them. Unsandboxed
// (SANDBOX=off), so a shell anywhere would write to the real /tmp.
const RUN = randomBytes(4).toString("hex");
const MARKER_PREFIX = `coduck-pwned-${RUN}-`;
const marker = (name: string) => path.join(os.tmpdir(), `${MARKER_PREFIX}${name}`);
const injections = (name: string) => [
  `$(touch ${marker(`${name}-dollar`)})`,
  `\`touch ${marker(`${name}-backtick`)}\``,
  `; touch ${marker(`${name}-semicolon`)}`,
  `| touch ${marker(`${name}-pipe`)}`,
  `&& touch ${marker(`${name}-and`)}`,
  `\ntouch ${marker(`${name}-newline`)}\n`,
];

let stack: TestStack;
let app: FastifyInstance;

beforeAll(async () => {
  stack = await createTestStack({ SANDBOX: "off" });
  await stack.startWorker();
  app = await buildTestApp(stack);
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
  await rm(path.join(os.tmpdir(), `coduck-meta-${RUN}`), { recursive: true, force: true });
});

async function markersLeft(): Promise<string[]> {
  return (await readdir(os.tmpdir())).filter((name) => name.startsWith(MARKER_PREFIX));
}

it("deploys a repository whose path and commit message are shell syntax, and no shell ever runs them", async () => {
  const repo = await fixtureRepo("node-http");
  const message = `deploy me ${injections("message").join(" ")}`;
  const sha = await repo.commit({ "NOTES.md": "notes\n" }, message);
  // The repository moved to a path made of the same syntax (slashes make it nested folders;
  // a newline is refused in a repository, as every control character is).
  const hostile = path.join(
    os.tmpdir(),
    `coduck-meta-${RUN}`,
    ...injections("path").filter((part) => !part.includes("\n")),
  );
  await mkdir(path.dirname(hostile), { recursive: true });
  await rename(repo.dir, hostile);

  const byBranch = await stack.waitForEnd(
    await stack.deploy({ project: "meta-branch", repoUrl: hostile, ref: "main" }),
    120_000,
  );
  const bySha = await stack.waitForEnd(
    await stack.deploy({ project: "meta-sha", repoUrl: hostile, ref: sha }),
    120_000,
  );
  expect(byBranch).toMatchObject({ status: "succeeded", commitSha: sha });
  expect(bySha).toMatchObject({ status: "succeeded", commitSha: sha });
  const { stdout } = await execa("git", ["log", "-1", "--format=%B"], { cwd: hostile });
  // The message really holds the syntax (git trims only the trailing newline).
  for (const injection of injections("message")) expect(stdout).toContain(injection.trim());
  expect(await markersLeft()).toEqual([]);
}, 300_000);

describe("a branch whose name is shell syntax (git allows $ ( ) ` ; | &)", () => {
  const branches = [
    `x$(touch\${IFS}${marker("branch-dollar")})`,
    `x\`touch\${IFS}${marker("branch-backtick")}\``,
    `x;touch\${IFS}${marker("branch-semicolon")}`,
    `x|touch\${IFS}${marker("branch-pipe")}`,
    `x&&touch\${IFS}${marker("branch-and")}`,
  ];
  let repoDir: string;

  beforeAll(async () => {
    const repo = await fixtureRepo("node-http");
    await repo.commit({}, injections("branch-commit").join(" "));
    for (const branch of branches) await execa("git", ["branch", branch], { cwd: repo.dir });
    repoDir = repo.dir;
  });

  it("is refused as a deploy ref and as a deploy branch, recording nothing", async () => {
    for (const ref of branches) {
      const deploy = await cli(
        ["deploy", "--project", "meta-ref", "--repo", repoDir, "--ref", ref],
        stack.env,
      );
      expect(deploy.exitCode).toBe(2);
      expect(deploy.stderr).toMatch(/--ref: must be a branch, tag or commit sha/);
      const add = await cli(
        ["projects", "add", "meta-project", "--repo", repoDir, "--branch", ref],
        stack.env,
      );
      expect(add.exitCode).toBe(2);
      expect(add.stderr).toMatch(/--branch: must be a branch, tag or commit sha/);
    }
    expect(
      await stack.db.project.count({ where: { slug: { in: ["meta-ref", "meta-project"] } } }),
    ).toBe(0);
    expect(await markersLeft()).toEqual([]);
  });

  it("pushed to the webhook, is ignored (not the deploy branch) and recorded nowhere", async () => {
    const { webhookSecret } = await addProject(stack.db, stack.keyring, {
      slug: "meta-hook",
      repoUrl: repoDir,
      branch: "main",
    });
    const before = await stack.db.deployment.count();
    for (const branch of branches) {
      const body = JSON.stringify({
        ref: `refs/heads/${branch}`,
        after: randomBytes(20).toString("hex"),
        repository: { full_name: "local/meta-hook", clone_url: repoDir },
        head_commit: { message: injections("hook-message").join(" ") },
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
      expect(response.statusCode).toBe(202);
    }
    expect(await stack.db.deployment.count()).toBe(before);
    expect(await markersLeft()).toEqual([]);
  });
});
