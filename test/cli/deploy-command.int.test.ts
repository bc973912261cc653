import os from "node:os";
import { jest } from "@jest/globals";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli, startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

// `deploy --wait` follows a real deploy to its end.
jest.setTimeout(180_000);

let stack: TestStack;
let worker: WorkerProcess;

beforeAll(async () => {
  stack = await createTestStack();
  worker = await startWorkerProcess(stack.env);
});
afterAll(async () => {
  worker?.child.kill("SIGTERM");
  await worker?.child;
  await stack?.close();
});

describe("coduck-worker deploy", () => {
  it("--wait --json follows a real deploy and prints the final record", async () => {
    const repo = await fixtureRepo("node-http");
    const head = await repo.commit({}, "deploy me");
    const run = await cli(
      ["deploy", "--project", "cli-app", "--repo", repo.dir, "--ref", "main", "--wait", "--json"],
      stack.env,
    );
    expect(run.exitCode).toBe(0);
    const record = JSON.parse(run.stdout as string);
    expect(record).toEqual({
      id: expect.any(String),
      project: "cli-app",
      status: "succeeded",
      commitSha: head,
      errorCode: null,
      hint: null,
      warnings: [],
      degraded: null,
      trigger: "cli",
      attempt: 1,
      // Who ran the CLI.
      requestedBy: os.userInfo().username,
      retryOf: null,
      rollbackTo: null,
      // App commands ran in the box (SANDBOX=bwrap, the default).
      sandbox: "bwrap",
      // Served at the project's stable address, from its supervisord program's own port.
      release: {
        url: `http://cli-app.localhost:${stack.config.releases.appsHttpPort}`,
        upstream: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        port: expect.any(Number),
        pid: expect.any(Number),
        program: expect.stringMatching(/^release-/),
        startedAt: expect.any(String),
        restarts: 0,
        lastExit: null,
        lastRestartAt: null,
        crashedAt: null,
      },
      steps: [
        expect.objectContaining({ name: "provision", status: "succeeded", errorCode: null }),
        expect.objectContaining({
          name: "checkout",
          status: "succeeded",
          exitCode: 0,
          errorCode: null,
        }),
        expect.objectContaining({ name: "install", status: "succeeded", exitCode: 0 }),
        expect.objectContaining({ name: "build", status: "succeeded", exitCode: 0 }),
        expect.objectContaining({ name: "schema", status: "skipped" }),
        expect.objectContaining({ name: "start", status: "succeeded" }),
      ],
    });
    expect(record.release.program).toBe(`release-${record.id}`);
    expect(record.release.upstream).toBe(`127.0.0.1:${record.release.port}`);
    expect(record.steps.every((s: { durationMs: number }) => s.durationMs >= 0)).toBe(true);
    // Progress went to stderr, step by step, so stdout stays parseable.
    expect(run.stderr).toMatch(/queued deployment .* of cli-app \(main\)/);
    expect(run.stderr).toMatch(/checkout\s+succeeded/);
    expect(run.stderr).toMatch(/build\s+succeeded/);
    // Every log line of the deploy carries its deployment, project and step.
    const stepLines = worker.logs.filter(
      (l) => l.deploymentId === record.id && l.msg === "step started",
    );
    expect(stepLines.map((l) => [l.project, l.step])).toEqual([
      ["cli-app", "provision"],
      ["cli-app", "checkout"],
      ["cli-app", "install"],
      ["cli-app", "build"],
      ["cli-app", "schema"],
      ["cli-app", "start"],
    ]);
  });

  it("exits 1 with the failure when the repository does not exist, and the worker keeps serving", async () => {
    const run = await cli(
      ["deploy", "--project", "cli-app", "--repo", "/nonexistent/repo", "--ref", "main", "--wait"],
      stack.env,
    );
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/status\s+failed \(CHECKOUT_FAILED\)/);
    expect(run.stdout).toMatch(/^┌ failed at checkout: CHECKOUT_FAILED/m);
    expect(run.stdout).toMatch(
      /^│ {3}fatal: '\/nonexistent\/repo' does not appear to be a git repository/m,
    );

    const repo = await fixtureRepo("node-http");
    const next = await cli(
      ["deploy", "--project", "cli-app", "--repo", repo.dir, "--ref", "main", "--wait"],
      stack.env,
    );
    expect(next.exitCode).toBe(0);
  });

  it("refuses bad arguments with a clear error, exit 2, and records nothing", async () => {
    const before = await stack.db.deployment.count();
    const run = await cli(
      ["deploy", "--project", "Bad Slug!", "--repo", "--upload-pack=x", "--ref", "a..b"],
      stack.env,
    );
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("coduck-worker: --project: must be 1 to 63 lowercase letters");
    expect(run.stderr).toContain("coduck-worker: --repo: must not start with '-'");
    expect(run.stderr).toContain("coduck-worker: --ref: must be a branch, tag or commit sha");
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await stack.db.deployment.count()).toBe(before);
  });

  it("exits 2 naming each bad variable when the environment is invalid", async () => {
    const run = await cli(["start"], { ...stack.env, WORKER_CONCURRENCY: "0", REDIS_URL: "nope" });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      [
        "coduck-worker: invalid environment",
        "  REDIS_URL: expected a redis:// or rediss:// URL, for example redis://127.0.0.1:6379",
        "  WORKER_CONCURRENCY: expected a whole number from 1 to 64",
      ].join("\n"),
    );
  });
});

describe("coduck-worker deployments", () => {
  it("lists deployments by status and shows one with its steps", async () => {
    const list = await cli(["deployments", "list", "--status", "failed", "--json"], stack.env);
    expect(list.exitCode).toBe(0);
    const failed = JSON.parse(list.stdout as string);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((d: { status: string }) => d.status === "failed")).toBe(true);

    const show = await cli(["deployments", "show", failed[0].id], stack.env);
    expect(show.exitCode).toBe(0);
    expect(show.stdout).toContain(`deployment ${failed[0].id}`);
    expect(show.stdout).toMatch(/checkout\s+failed\s+[\d.]+s CHECKOUT_FAILED/);
    expect(show.stdout).toMatch(/install\s+skipped\s+\(not run: checkout failed\)/);
  });

  it("says clearly what is wrong with a bad status or id", async () => {
    const badStatus = await cli(["deployments", "list", "--status", "exploded"], stack.env);
    expect(badStatus.exitCode).toBe(2);
    expect(badStatus.stderr).toContain(
      "--status: expected one of queued, running, succeeded, failed, cancelled, superseded",
    );
    const badId = await cli(["deployments", "show", "42"], stack.env);
    expect(badId.exitCode).toBe(2);
    expect(badId.stderr).toBe('coduck-worker: not a deployment id: "42"');
    const unknown = await cli(
      ["deployments", "show", "6b0f7c5e-8a41-4c57-9d3a-2f2c8e1b9a10"],
      stack.env,
    );
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("no deployment 6b0f7c5e-8a41-4c57-9d3a-2f2c8e1b9a10");
  });
});
