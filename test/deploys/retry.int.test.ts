import { rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import type { DeployWorker } from "../../src/main/start-deploy-worker.js";
import { releaseFingerprint } from "../../src/releases/release-fingerprint.js";
import { getDeploymentRecord } from "../../src/store/deployment-record.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { tempDir } from "../helpers/temp-dir.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// Each test runs up to three real deploys to their end (a start failure may take 120 s).
jest.setTimeout(300_000);

let stack: TestStack;
let worker: DeployWorker;

beforeAll(async () => {
  // The apps here wait for a file the test makes outside their release: no sandbox, which
  // would hide it (test/security proves the sandbox).
  stack = await createTestStack({ SANDBOX: "off" });
  worker = await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const retry = (...args: string[]) => cli(["retry", ...args], stack.env);
const MISSING_REPO = path.join(os.tmpdir(), "coduck-no-such-repo");
const reusedFrom = (id: string) => `reused from deployment ${id} (a copy of its release directory)`;

/** node-http that will not start until a file outside its repository exists. */
async function appWaitingFor(readyFile: string) {
  return fixtureRepo("node-http", {
    "coduck.json": JSON.stringify({ env: { READY_FILE: readyFile } }),
    "src/index.js": [
      'import { existsSync } from "node:fs";',
      'import { createServer } from "node:http";',
      'if (!existsSync(process.env.READY_FILE)) throw new Error("not ready: no " + process.env.READY_FILE);',
      'createServer((_q, r) => r.end("ready")).listen(Number(process.env.PORT));',
    ].join("\n"),
  });
}

/**
 * A deployment of `project` that failed at start (its app waits for `readyFile`), its record,
 * and the file that lets it start.
 */
async function startFailedDeploy(project: string) {
  const readyFile = path.join(await tempDir("coduck-ready-"), "ready");
  const repo = await appWaitingFor(readyFile);
  const id = await stack.deploy({ project, repoUrl: repo.dir });
  const failed = await stack.waitForEnd(id, 120_000);
  expect(failed).toMatchObject({ status: "failed", errorCode: "START_CRASHED" });
  return { id, failed, readyFile };
}

describe("coduck-worker retry <id>", () => {
  it("re-runs from the failed step on a copy of the release, reusing checkout, install and build", async () => {
    const { id: startFailed, failed, readyFile } = await startFailedDeploy("retry-app");
    const original = await stack.db.deployment.findUniqueOrThrow({ where: { id: startFailed } });
    const originalFiles = await releaseFingerprint(original.releaseDir!);
    expect(originalFiles).toBe(original.releaseDigest);

    await writeFile(readyFile, "yes");
    const run = await retry(startFailed, "--wait", "--json");
    expect(run.stderr).toContain(
      `retry 1 of ${startFailed}, from step start; reusing checkout, install, build, schema from a copy of its release directory (provision always runs)`,
    );
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout as string);
    expect(result).toMatchObject({
      retryOf: startFailed,
      retryNumber: 1,
      fromStep: "start",
      reused: ["checkout", "install", "build", "schema"],
      status: "succeeded",
    });

    const record = (await getDeploymentRecord(stack.db, result.deploymentId))!;
    // `deployments show --json` says where it came from.
    const shown = await cli(["deployments", "show", result.deploymentId, "--json"], stack.env);
    expect(JSON.parse(shown.stdout as string)).toMatchObject({
      trigger: "retry",
      requestedBy: expect.any(String),
      retryOf: { id: startFailed, number: 1, fromStep: "start" },
    });
    expect(record.steps.map((s) => [s.name, s.status, s.skipReason])).toEqual([
      ["provision", "succeeded", null],
      ["checkout", "skipped", reusedFrom(startFailed)],
      ["install", "skipped", reusedFrom(startFailed)],
      ["build", "skipped", reusedFrom(startFailed)],
      ["schema", "skipped", reusedFrom(startFailed)],
      ["start", "succeeded", null],
    ]);
    // Nothing was installed or built again.
    expect(record.steps.find((s) => s.name === "install")!.command).toBeNull();
    expect(record.commitSha).toBe(failed.commitSha);
    expect(await (await fetchApp(record.release!.url)).text()).toBe("ready");

    const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: result.deploymentId } });
    expect(row).toMatchObject({
      trigger: "retry",
      retryOfId: startFailed,
      retryNumber: 1,
      fromStep: "start",
      ref: failed.commitSha,
      requestedBy: os.userInfo().username,
    });
    // Its own directory; the original's is as the failed attempt left it.
    expect(row.releaseDir).not.toBe(original.releaseDir);
    expect(await releaseFingerprint(original.releaseDir!)).toBe(originalFiles);
  });

  it("runs every step of a deploy whose repository was missing, once it exists", async () => {
    const repoPath = path.join(await tempDir("coduck-late-"), "repo");
    const id = await stack.deploy({ project: "late-repo", repoUrl: repoPath });
    expect(await stack.waitForEnd(id)).toMatchObject({ errorCode: "CHECKOUT_FAILED" });

    const count = await stack.db.deployment.count();
    const tooLate = await retry(id, "--from", "build");
    expect(tooLate.exitCode).toBe(2);
    expect(tooLate.stderr).toBe(
      `coduck-worker: cannot retry deployment ${id} from build: checkout did not succeed in deployment ${id} (failed)`,
    );
    expect(await stack.db.deployment.count()).toBe(count);

    const repo = await fixtureRepo("node-http");
    await rename(repo.dir, repoPath);
    const run = await retry(id, "--wait", "--json");
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout as string);
    expect(result).toMatchObject({ fromStep: "checkout", reused: [], status: "succeeded" });
    const record = (await getDeploymentRecord(stack.db, result.deploymentId))!;
    expect(record.steps.filter((s) => s.status === "succeeded").map((s) => s.name)).toEqual([
      "provision",
      "checkout",
      "install",
      "build",
      "start",
    ]);
    expect(record.ref).toBe("main");
  });

  it("--from chooses the step; a release directory changed since is not reused", async () => {
    const { id: startFailed, readyFile } = await startFailedDeploy("retry-from");
    await writeFile(readyFile, "yes");
    const fromBuild = await retry(startFailed, "--from", "build", "--wait", "--json");
    expect(fromBuild.exitCode).toBe(0);
    const result = JSON.parse(fromBuild.stdout as string);
    expect(result).toMatchObject({ fromStep: "build", reused: ["checkout", "install"] });
    const record = (await getDeploymentRecord(stack.db, result.deploymentId))!;
    expect(record.steps.map((s) => [s.name, s.status])).toEqual([
      ["provision", "succeeded"],
      ["checkout", "skipped"],
      ["install", "skipped"],
      ["build", "succeeded"],
      ["schema", "skipped"],
      ["start", "succeeded"],
    ]);

    const original = await stack.db.deployment.findUniqueOrThrow({ where: { id: startFailed } });
    await writeFile(path.join(original.releaseDir!, "src", "index.js"), "tampered\n");
    const count = await stack.db.deployment.count();
    const refused = await retry(startFailed, "--from", "start");
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(
      `cannot retry deployment ${startFailed} from start: its release directory ${original.releaseDir} has changed since`,
    );
    expect(await stack.db.deployment.count()).toBe(count);

    const fresh = await retry(startFailed, "--wait", "--json");
    expect(fresh.exitCode).toBe(0);
    expect(JSON.parse(fresh.stdout as string)).toMatchObject({
      fromStep: "checkout",
      reused: [],
      notReused: expect.stringContaining("has changed since"),
      status: "succeeded",
    });
  });

  it("refuses what it cannot retry, with one line, exit 2, and nothing recorded", async () => {
    const startFailed = await stack.deploy({ project: "refusals", repoUrl: MISSING_REPO });
    expect((await stack.waitForEnd(startFailed)).status).toBe("failed");
    const good = await fixtureRepo("node-http");
    const succeeded = { id: await stack.deploy({ project: "refusals", repoUrl: good.dir }) };
    expect((await stack.waitForEnd(succeeded.id, 120_000)).status).toBe("succeeded");
    const count = await stack.db.deployment.count();
    const cases: Array<[string[], string]> = [
      [["42"], 'coduck-worker: not a deployment id: "42"'],
      [
        ["6b0f7c5e-8a41-4c57-9d3a-2f2c8e1b9a10"],
        "coduck-worker: no deployment 6b0f7c5e-8a41-4c57-9d3a-2f2c8e1b9a10",
      ],
      [
        [succeeded.id],
        `coduck-worker: deployment ${succeeded.id} is succeeded: only failed or cancelled deployments can be retried`,
      ],
      [
        [startFailed, "--from", "deploy"],
        'coduck-worker: --from: no step "deploy" in the pipeline; its steps are provision, checkout, install, build, schema, start',
      ],
      [[], "coduck-worker: retry: give a deployment id, or --all-failed"],
      [[startFailed, "--dry-run"], expect.stringContaining("--dry-run: only with --all-failed")],
      [["--all-failed", "--since", "5x"], expect.stringContaining("--since: expected a duration")],
      [
        ["--all-failed", "--code", "NOPE"],
        expect.stringContaining('--code: no failure code "NOPE"'),
      ],
      [
        ["--all-failed", startFailed],
        expect.stringContaining("either a deployment id or --all-failed"),
      ],
    ];
    for (const [args, message] of cases) {
      const run = await retry(...args);
      expect({ args, exitCode: run.exitCode, stderr: run.stderr }).toEqual({
        args,
        exitCode: 2,
        stderr: message,
      });
    }
    expect(await stack.db.deployment.count()).toBe(count);
  });
});

describe("coduck-worker retry --all-failed", () => {
  // A stack of its own: --all-failed looks at every project, and the other tests' are not its.
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack({ SANDBOX: "off" });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
  });
  const retry = (...args: string[]) => cli(["retry", ...args], stack.env);

  it("retries each project's latest failed deployment, filtered; --dry-run records nothing", async () => {
    const missing = MISSING_REPO;
    // A failure a successful retry has since superseded.
    const lateRepo = path.join(await tempDir("coduck-late-"), "repo");
    const fixed = await stack.deploy({ project: "af-fixed", repoUrl: lateRepo });
    expect((await stack.waitForEnd(fixed)).status).toBe("failed");
    await rename((await fixtureRepo("node-http")).dir, lateRepo);
    const fixing = await retry(fixed, "--wait", "--json");
    expect(JSON.parse(fixing.stdout as string)).toMatchObject({ status: "succeeded" });

    const older = await stack.deploy({ project: "af-one", repoUrl: missing });
    await stack.waitForEnd(older);
    const latest = await stack.deploy({ project: "af-one", repoUrl: missing });
    await stack.waitForEnd(latest);
    const badConfig = await fixtureRepo("node-http", { "coduck.json": '{ "colour": "blue" }' });
    const invalid = await stack.deploy({ project: "af-two", repoUrl: badConfig.dir });
    expect(await stack.waitForEnd(invalid)).toMatchObject({ errorCode: "CONFIG_INVALID" });

    const snapshot = async () =>
      stack.db.deployment.findMany({ select: { id: true, status: true }, orderBy: { id: "asc" } });
    const before = await snapshot();
    const dry = await retry("--all-failed", "--dry-run");
    expect(dry.exitCode).toBe(0);
    const lines = (dry.stdout as string).split("\n");
    expect(lines).toContain(
      `would retry ${latest}  af-one  CHECKOUT_FAILED at checkout  from the start`,
    );
    expect(lines).toContain(
      `would retry ${invalid}  af-two  CONFIG_INVALID at checkout  from the start`,
    );
    // Superseded by a newer deploy of its project (a failure, or a successful retry): left alone.
    expect(dry.stdout).not.toContain(older);
    expect(dry.stdout).not.toContain(fixed);
    expect(dry.stdout).not.toContain("af-fixed");
    expect(lines).toContain("dry run: 2 deployment(s) would be retried; nothing was recorded");

    const byCode = await retry("--all-failed", "--dry-run", "--code", "CONFIG_INVALID");
    expect(byCode.stdout).toContain(invalid);
    expect(byCode.stdout).not.toContain(latest);
    const byProject = await retry("--all-failed", "--dry-run", "--project", "af-one");
    expect(byProject.stdout).toContain(latest);
    expect(byProject.stdout).not.toContain(invalid);
    await stack.db.deployment.update({
      where: { id: invalid },
      data: { finishedAt: new Date(Date.now() - 2 * 3_600_000) },
    });
    const recent = await retry("--all-failed", "--dry-run", "--since", "1h");
    expect(recent.stdout).toContain(latest);
    expect(recent.stdout).not.toContain(invalid);
    expect(await snapshot()).toEqual(before);

    const run = await retry("--all-failed", "--code", "CHECKOUT_FAILED");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`retrying ${latest}  af-one`);
    const retried = await stack.db.deployment.findFirstOrThrow({ where: { retryOfId: latest } });
    expect(run.stdout).toContain(`queued ${retried.id} (retry of ${latest})`);
    expect(await stack.db.deployment.count()).toBe(before.length + 1);
    expect(await stack.waitForEnd(retried.id)).toMatchObject({ errorCode: "CHECKOUT_FAILED" });
  });
});

describe("a retry is queued like any deploy", () => {
  it("supersedes the project's deploys still queued; a cancelled retry can be retried again", async () => {
    const missing = MISSING_REPO;
    const failed = await stack.deploy({ project: "sup", repoUrl: missing });
    await stack.waitForEnd(failed);
    await worker.worker.pause();
    try {
      const queued = await stack.deploy({ project: "sup", repoUrl: missing });
      const run = await retry(failed, "--json");
      expect(run.exitCode).toBe(0);
      const result = JSON.parse(run.stdout as string);
      expect(result.superseded).toEqual([queued]);
      expect(await stack.db.deployment.findUniqueOrThrow({ where: { id: queued } })).toMatchObject({
        status: "superseded",
        supersededById: result.deploymentId,
      });

      // A cancelled deployment can be retried (a retry of a retry counts on); a superseded one not.
      expect((await cli(["cancel", result.deploymentId], stack.env)).exitCode).toBe(0);
      const again = await retry(result.deploymentId, "--json");
      expect(again.exitCode).toBe(0);
      const second = JSON.parse(again.stdout as string);
      expect(second).toMatchObject({ retryOf: result.deploymentId, retryNumber: 2, reused: [] });
      const refused = await retry(queued);
      expect(refused.stderr).toBe(
        `coduck-worker: deployment ${queued} is superseded: only failed or cancelled deployments can be retried`,
      );

      worker.worker.resume();
      expect(await stack.waitForEnd(second.deploymentId)).toMatchObject({ status: "failed" });
    } finally {
      worker.worker.resume();
    }
  });
});

describe("the worker checks the release again when it runs the retry", () => {
  it("runs every step, with a warning, when the directory changed after the retry was queued", async () => {
    const repo = await fixtureRepo("node-http", {
      "coduck.json": JSON.stringify({ start: "exit 3" }),
    });
    const failed = await stack.deploy({ project: "recheck", repoUrl: repo.dir });
    expect(await stack.waitForEnd(failed, 120_000)).toMatchObject({ errorCode: "START_CRASHED" });
    const original = await stack.db.deployment.findUniqueOrThrow({ where: { id: failed } });

    await worker.worker.pause();
    let result: { deploymentId: string; fromStep: string };
    try {
      const run = await retry(failed, "--json");
      result = JSON.parse(run.stdout as string);
      expect(result.fromStep).toBe("start");
      await writeFile(path.join(original.releaseDir!, "package.json"), "{}\n");
    } finally {
      worker.worker.resume();
    }
    const record = await stack.waitForEnd(result.deploymentId, 120_000);
    expect(record.warnings).toContain(
      `the release of deployment ${failed} could not be reused (its release directory ${original.releaseDir} has changed since ${original.releaseDigestStep} ended there); every step ran again`,
    );
    expect(record.steps.find((s) => s.name === "checkout")!.status).toBe("succeeded");
    const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: result.deploymentId } });
    expect(row.fromStep).toBeNull();
  });
});
