import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { groupMembers, processStartTicks } from "../../src/exec/process-identity.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { readyPid } from "../helpers/ready-pid.js";
import { runningReleases, stopLeftoverSteps } from "../helpers/releases.js";
import { tempDir } from "../helpers/temp-dir.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

// A step to block (60 s), the take-over (30 s), attempt 2 at its gate (60 s), the deploy's end (90 s).
jest.setTimeout(300_000);

// `kill -9` of a real worker process in the middle of a step, then a new worker: the deploy
// ends by policy (here: it runs again and succeeds), the interrupted step is recorded, what the
// dead worker left running is gone, and exactly one release of the project serves.
//
// The new worker starts attempt 2 as soon as it has taken over. Where a test reads what attempt 1
// left on record, attempt 2 is held at its install (an install gate the test closes before the
// new worker starts), so the record is read before attempt 2 can overwrite it.

let stack: TestStack;
let env: Record<string, string>;
const workers: WorkerProcess[] = [];

/** Running, not a zombie (what a killed process whose parent died is until it is reaped). */
const isRunning = (pid: number) => processStartTicks(pid) !== null;

beforeAll(async () => {
  // The blocking app waits for files the test makes outside its release, and reports host pids:
  // no sandbox, which would hide the one and renumber the other (test/security proves it).
  stack = await createTestStack({ SANDBOX: "off" });
  // A dead worker's job is handed on within about two lock periods.
  env = { ...stack.env, JOB_LOCK_SECONDS: "4", RUNTIME_WATCH_SECONDS: "0" };
});
afterEach(async () => {
  for (const worker of workers.splice(0)) {
    worker.child.kill("SIGKILL");
    await worker.child;
  }
  if (!stack) return; // setup failed: its error is the one to read
  // A test that failed midway leaves its deploy running: the next test's worker must not take it.
  await stopLeftoverSteps(stack.db);
  await stack.db.deployment.updateMany({
    where: { status: { in: ["queued", "running"] } },
    data: { status: "cancelled" },
  });
});
afterAll(async () => {
  if (stack) await stopLeftoverSteps(stack.db);
  await stack?.close();
});

async function worker(): Promise<WorkerProcess> {
  const started = await startWorkerProcess(env);
  workers.push(started);
  return started;
}

/** A repository of the blocking app whose `step` waits for `<dir>/<step>.go`. */
async function blockingApp(coduck: Record<string, unknown>) {
  const dir = await blockDir();
  const config = { ...coduck, env: { BLOCK_DIR: dir, ...(coduck.env as object) } };
  const repo = await fixtureRepo("blocking-app", { "coduck.json": JSON.stringify(config) });
  return { repo, dir };
}

/** A BLOCK_DIR whose install gate is open: `gatedInstall` passes until the gate is closed. */
async function blockDir() {
  const dir = await tempDir("coduck-block-");
  await openGate(dir);
  return dir;
}
const gatedInstall = "node block.js gate && npm ci";

/** Closes the install gate: the next install blocks until `openGate`. */
const closeGate = (dir: string) => rm(path.join(dir, "gate.go"));
const openGate = (dir: string) => writeFile(path.join(dir, "gate.go"), "");
const heldAtGate = (dir: string) =>
  waitFor("attempt 2 to wait at its install", () => existsSync(path.join(dir, "gate.ready")));

async function killDuring(id: string, step: string, dir: string) {
  const first = await worker();
  const child = await readyPid(`${step} to block`, path.join(dir, `${step}.ready`));
  const row = await waitFor(`${step}'s process group on its row`, async () => {
    const found = await stack.db.deploymentStep.findUniqueOrThrow({
      where: { deploymentId_name: { deploymentId: id, name: step } },
    });
    return found.status === "running" && (step === "start" || found.pgid !== null) && found;
  });
  first.child.kill("SIGKILL");
  await first.child;
  // The dead worker's processes outlive it: the next worker must stop them.
  expect(isRunning(child)).toBe(true);
  return { child, pgid: row.pgid };
}

async function takeOver(id: string) {
  const second = await worker();
  const line = await second.waitForLog("took over a deploy whose worker had stopped");
  expect(line.deploymentId).toBe(id);
  return { second, line };
}

/**
 * What attempt 1 left on record, read while attempt 2 waits at its install gate (so the
 * interrupted step's row is still attempt 1's unless that step is install itself).
 */
async function expectInterrupted(id: string, step: string) {
  const deployment = await stack.db.deployment.findUniqueOrThrow({
    where: { id },
    include: { steps: true },
  });
  expect(deployment.steps.find((s) => s.name === step)).toMatchObject(
    step === "install"
      ? { status: "running", attempt: 2 }
      : { status: "interrupted", errorCode: "WORKER_INTERRUPTED", attempt: 1 },
  );
  expect(deployment).toMatchObject({ status: "running", attempt: 2 });
  expect(deployment.warnings).toContainEqual(
    expect.stringContaining(
      `attempt 1 was interrupted at ${step} (WORKER_INTERRUPTED): its worker stopped without finishing it; the deploy runs again`,
    ),
  );
}

async function expectFinished(id: string, project: string) {
  const record = await stack.waitForEnd(id, 90_000);
  expect(record.status).toBe("succeeded");
  expect(record.attempt).toBe(2);
  const steps = await stack.db.deploymentStep.findMany({ where: { deploymentId: id } });
  expect(steps.every((s) => ["succeeded", "skipped"].includes(s.status))).toBe(true);
  const live = await stack.db.project.findUniqueOrThrow({ where: { slug: project } });
  expect(live.liveDeploymentId).toBe(id);
  expect(await runningReleases(stack.db, project)).toEqual([id]);
  // Recorded as running, so whoever stops releases later finds it.
  expect(
    (await stack.db.deployment.findUniqueOrThrow({ where: { id } })).releaseStoppedAt,
  ).toBeNull();
}

describe("kill -9 of the worker mid-deploy", () => {
  it("during install: the next worker records the step interrupted, kills its processes, and the deploy finishes", async () => {
    const { repo, dir } = await blockingApp({
      install: "node block.js gate && node block.js install && npm ci",
    });
    const id = await stack.deploy({ project: "crash-install", repoUrl: repo.dir });
    const { child, pgid } = await killDuring(id, "install", dir);

    await closeGate(dir);
    const { line } = await takeOver(id);
    expect(line.interrupted).toEqual(["install"]);
    expect(line.stopped).toContainEqual({ what: "step install", pgid, result: "killed" });
    expect(isRunning(child)).toBe(false);
    expect(groupMembers(pgid!)).toEqual([]);
    await heldAtGate(dir);
    await expectInterrupted(id, "install");

    await openGate(dir);
    await writeFile(path.join(dir, "install.go"), "");
    await expectFinished(id, "crash-install");
  });

  it("during schema: the same", async () => {
    const { repo, dir } = await blockingApp({
      install: gatedInstall,
      preStart: "node block.js schema",
    });
    const id = await stack.deploy({ project: "crash-schema", repoUrl: repo.dir });
    const { child, pgid } = await killDuring(id, "schema", dir);

    await closeGate(dir);
    const { line } = await takeOver(id);
    expect(line.interrupted).toEqual(["schema"]);
    expect(isRunning(child)).toBe(false);
    expect(groupMembers(pgid!)).toEqual([]);
    await heldAtGate(dir);
    await expectInterrupted(id, "schema");

    await openGate(dir);
    await writeFile(path.join(dir, "schema.go"), "");
    await expectFinished(id, "crash-schema");
  });

  it("during start: the half-started release is stopped, and one release serves: the new one", async () => {
    const project = "crash-start";
    const start = "node block.js start && node server.js";
    const { repo, dir } = await blockingApp({ install: gatedInstall, start });
    // A live release first, which the interrupted deploy was to replace.
    await writeFile(path.join(dir, "start.go"), "");
    const first = await worker();
    const previous = await stack.deploy({ project, repoUrl: repo.dir });
    expect((await stack.waitForEnd(previous)).status).toBe("succeeded");
    first.child.kill("SIGTERM");
    await first.child;
    workers.splice(workers.indexOf(first), 1);

    const nextDir = await blockDir();
    await repo.commit({
      "coduck.json": JSON.stringify({
        install: gatedInstall,
        start,
        env: { BLOCK_DIR: nextDir, APP_VERSION: "2" },
      }),
    });
    const id = await stack.deploy({ project, repoUrl: repo.dir });
    const { child } = await killDuring(id, "start", nextDir);
    const halfStarted = await stack.db.deployment.findUniqueOrThrow({ where: { id } });
    expect(halfStarted.releasePid).not.toBeNull();
    expect(await runningReleases(stack.db, project)).toEqual(
      expect.arrayContaining([previous, id]),
    );

    await closeGate(nextDir);
    const { line } = await takeOver(id);
    expect(line.interrupted).toEqual(["start"]);
    expect(line.stopped).toContainEqual({
      what: `release of ${id}`,
      pgid: halfStarted.releasePid,
      result: "killed",
    });
    expect(isRunning(child)).toBe(false);
    // The release that was live keeps serving while the deploy runs again.
    await heldAtGate(nextDir);
    expect(await runningReleases(stack.db, project)).toEqual([previous]);
    await expectInterrupted(id, "start");

    await openGate(nextDir);
    await writeFile(path.join(nextDir, "start.go"), "");
    await expectFinished(id, project);
    // The project's stable address serves the new release.
    const live = await stack.waitForEnd(id);
    const answer = await fetchApp(live.release!.url);
    expect(await answer.json()).toEqual({ app: "blocking-app", version: "2" });
  });
});
