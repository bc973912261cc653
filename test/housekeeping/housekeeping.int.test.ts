import { randomUUID } from "node:crypto";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import pino from "pino";
import { cleanJobsJob } from "../../src/jobs/clean-jobs.js";
import {
  type HousekeepingWorker,
  startHousekeepingWorker,
} from "../../src/main/start-housekeeping-worker.js";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { HostQueues } from "../../src/queue/host-queues.js";
import {
  ensureHousekeepingSchedules,
  HOUSEKEEPING_QUEUE,
} from "../../src/queue/housekeeping-job.js";
import { connectRedis } from "../../src/queue/redis.js";
import { createDeployment } from "../../src/store/deployments.js";
import { countLogLines } from "../../src/store/step-log-lines.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { cli } from "../helpers/worker-process.js";

// Tests wait for real deploys to end (60 s each).
jest.setTimeout(180_000);

let stack: TestStack;
/** Deploys of project `kept`, oldest first: live (succeeded), then two failed ones. */
let live: string;
let older: string;
let newest: string;
let projectDir: string;

const FAILING_BUILD = {
  "scripts/build.js": 'console.error("Error: cannot compile src/index.js");\nprocess.exit(2);\n',
};

beforeAll(async () => {
  stack = await createTestStack({ KEEP_RELEASES: "1" });
  await stack.startWorker();
  const good = await fixtureRepo("node-http");
  const bad = await fixtureRepo("node-http", FAILING_BUILD);
  live = await stack.deploy({ project: "kept", repoUrl: good.dir });
  expect((await stack.waitForEnd(live)).status).toBe("succeeded");
  older = await stack.deploy({ project: "kept", repoUrl: bad.dir });
  expect((await stack.waitForEnd(older)).status).toBe("failed");
  newest = await stack.deploy({ project: "kept", repoUrl: bad.dir });
  expect((await stack.waitForEnd(newest)).status).toBe("failed");
  projectDir = path.join(stack.config.dataDir, "releases", "kept");
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

describe("prune-releases", () => {
  it("keeps the live release, a running deploy's and the newest N; removes the rest and their logs", async () => {
    // A release's output file beside its directory, as the sandboxed start writes it.
    await writeFile(path.join(projectDir, `${older}-1.log`), "old output\n");
    // A deploy running right now (its directory exists, its row says running).
    const repo = await fixtureRepo("node-http");
    const running = await createDeployment(stack.db, {
      project: "kept",
      repoUrl: repo.dir,
      ref: "main",
      trigger: "test",
      steps: DEPLOY_STEP_NAMES,
    });
    await stack.db.deployment.update({
      where: { id: running.id },
      data: { status: "running", attempt: 1, queuedAt: new Date(Date.now() - 3600_000) },
    });
    await mkdir(path.join(projectDir, `${running.id}-1`));
    // A release nobody knows any more (its deployment is gone), and a file that is not a release.
    const orphan = `${randomUUID()}-1`;
    await mkdir(path.join(projectDir, orphan));
    const longAgo = new Date(Date.now() - 90 * 24 * 3600_000);
    await utimes(path.join(projectDir, orphan), longAgo, longAgo);
    await writeFile(path.join(projectDir, "notes.txt"), "not a release\n");

    const dry = await cli(
      ["housekeeping", "run", "--dry-run", "--only", "prune-releases"],
      stack.env,
    );
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toMatch(/^prune-releases: would remove 2 release directories, kept 3/);
    // The three kept releases, the live one's output file and its supervisord program's spec,
    // two releases to go, one log to go, and notes.txt.
    expect((await readdir(projectDir)).sort()).toHaveLength(9);
    expect(await stack.db.jobRun.count({ where: { name: "prune-releases" } })).toBe(0);

    const run = await cli(["housekeeping", "run", "--only", "prune-releases"], stack.env);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("removed 2 release directories, kept 3");
    expect((await readdir(projectDir)).sort()).toEqual(
      [
        `${live}-1`,
        `${live}-1.log`,
        `${live}-1.log.program.json`,
        `${newest}-1`,
        `${running.id}-1`,
        "notes.txt",
      ].sort(),
    );
    // The live release still serves from its directory.
    const record = await stack.waitForEnd(live);
    expect((await fetchApp(record.release!.url)).status).toBe(200);

    const [recorded] = await stack.db.jobRun.findMany({ where: { name: "prune-releases" } });
    expect(recorded).toMatchObject({
      status: "succeeded",
      requestedBy: "cli",
      summary: expect.objectContaining({ removed: 2, kept: 3, protected: 2, keep: 1 }),
    });
    expect(recorded?.finishedAt).not.toBeNull();
    await stack.db.deployment.update({ where: { id: running.id }, data: { status: "cancelled" } });
  });
});

describe("prune-logs", () => {
  it("deletes the stored logs of steps that ended before the retention, except the live deployment's", async () => {
    const lines = (deploymentId: string) => countLogLines(stack.db, { step: { deploymentId } });
    expect(await lines(older)).toBeGreaterThan(0);
    const fortyDaysAgo = new Date(Date.now() - 40 * 24 * 3600_000);
    // Forty days pass for two deployments: their steps ended, and their lines were logged, then.
    for (const id of [older, live]) {
      await stack.db.deploymentStep.updateMany({
        where: { deploymentId: id, finishedAt: { not: null } },
        data: { finishedAt: fortyDaysAgo },
      });
      await stack.db.stepLogChunk.updateMany({
        where: { step: { deploymentId: id } },
        data: { at: fortyDaysAgo },
      });
    }
    const newestBefore = await lines(newest);
    const liveBefore = await lines(live);
    const oldBefore = await lines(older);

    const run = await cli(["housekeeping", "run", "--only", "prune-logs"], stack.env);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^prune-logs: deleted ${oldBefore} stored log lines of \\d+ steps that ended before`,
      ),
    );
    expect(await lines(older)).toBe(0);
    expect(await lines(newest)).toBe(newestBefore);
    expect(await lines(live)).toBe(liveBefore);
    // The step rows stay, with their code and tail.
    const build = await stack.db.deploymentStep.findUniqueOrThrow({
      where: { deploymentId_name: { deploymentId: older, name: "build" } },
    });
    expect(build).toMatchObject({ status: "failed", errorCode: "BUILD_FAILED" });
    expect(build.logTail).toContain("cannot compile");
    const recorded = await stack.db.jobRun.findFirstOrThrow({ where: { name: "prune-logs" } });
    expect(recorded.summary).toMatchObject({ lines: oldBefore });
  });
});

describe("clean-jobs", () => {
  it("removes finished queue jobs older than the retention and keeps recent ones", async () => {
    const deps = { db: stack.db, config: stack.config, queues: async () => [stack.queue] };
    const run = { requestedBy: "test", dryRun: false };
    expect(await stack.queue.getJobCounts("completed", "failed")).toEqual({
      completed: 1,
      failed: 2,
    });
    // JOB_RETENTION_DAYS (7): these jobs finished a minute ago, so all stay.
    const kept = await cleanJobsJob.run(deps, run);
    expect(kept).toMatchObject({ removed: { [stack.queue.name]: { completed: 0, failed: 0 } } });
    expect(await stack.queue.getJobCounts("completed", "failed")).toEqual({
      completed: 1,
      failed: 2,
    });
    // With a retention of 0 they are all past it.
    const config = {
      ...stack.config,
      housekeeping: { ...stack.config.housekeeping, jobRetentionMs: 0 },
    };
    const dry = await cleanJobsJob.run({ ...deps, config }, { ...run, dryRun: true });
    expect(dry).toMatchObject({ removed: { [stack.queue.name]: { completed: 1, failed: 2 } } });
    expect(await stack.queue.getJobCounts("completed", "failed")).toEqual({
      completed: 1,
      failed: 2,
    });
    await cleanJobsJob.run({ ...deps, config }, run);
    expect(await stack.queue.getJobCounts("completed", "failed")).toEqual({
      completed: 0,
      failed: 0,
    });
    // The deployments stay in Postgres.
    expect((await stack.waitForEnd(older)).status).toBe("failed");
    expect(await stack.db.jobRun.count({ where: { name: "clean-jobs" } })).toBe(2);
  });
});

describe("housekeeping schedules", () => {
  let worker: HousekeepingWorker | undefined;
  let redis: ReturnType<typeof connectRedis>;
  beforeAll(() => {
    redis = connectRedis(stack.config.redisUrl);
  });
  afterAll(async () => {
    await worker?.close();
    await redis?.quit();
  });

  it("puts one job scheduler per job in its housekeeping queue (the host's own for disk jobs, the shared one for the rest), and its worker runs and records them", async () => {
    const queues = new HostQueues(redis, stack.config.queuePrefix);
    const queue = queues.named(HOUSEKEEPING_QUEUE);
    const own = queues.housekeeping(stack.config.host.id);
    // A shared queue from before hosts, with all four schedulers: the disk jobs leave it.
    await ensureHousekeepingSchedules(queue, stack.config.housekeeping.everyMs, "host");
    await queue.upsertJobScheduler("prune-caches", { every: 1_000_000 }, { name: "prune-caches" });
    try {
      worker = await startHousekeepingWorker(
        { db: stack.db, config: stack.config, logger: pino({ level: "silent" }) },
        queues,
      );
      // A scheduler's first run is at once: once each has run, its next run stays put.
      for (const name of ["prune-logs", "clean-jobs"])
        await waitFor(`the first ${name} run`, () =>
          stack.db.jobRun
            .findFirst({ where: { name, requestedBy: "schedule", status: { not: "running" } } })
            .then((run) => run ?? undefined),
        );
      const schedulers = await queue.getJobSchedulers();
      expect(Object.fromEntries(schedulers.map((s) => [s.key, Number(s.every)]))).toEqual({
        "prune-logs": 24 * 60 * 60_000,
        "clean-jobs": 60 * 60_000,
      });
      expect(own.name).toBe(`housekeeping@${stack.config.host.id}`);
      const ownSchedulers = await own.getJobSchedulers();
      expect(Object.fromEntries(ownSchedulers.map((s) => [s.key, Number(s.every)]))).toEqual({
        "prune-releases": 60 * 60_000,
        "prune-caches": 24 * 60 * 60_000,
      });
      // Ensuring again (every minute, every worker start) does not push the next run back.
      const next = Object.fromEntries(schedulers.map((s) => [s.key, s.next]));
      await ensureHousekeepingSchedules(queue, stack.config.housekeeping.everyMs, "shared");
      const again = await queue.getJobSchedulers();
      expect(Object.fromEntries(again.map((s) => [s.key, s.next]))).toEqual(next);
      // 0 turns a schedule off.
      await ensureHousekeepingSchedules(
        queue,
        { ...stack.config.housekeeping.everyMs, "prune-logs": 0 },
        "shared",
      );
      expect((await queue.getJobSchedulers()).map((s) => s.key).sort()).toEqual(["clean-jobs"]);

      // A job as a scheduler produces it: the worker runs it and records the run.
      await queue.add("prune-logs", {});
      // The run is recorded `running` when it starts: wait for it to end, then read how.
      const recorded = await waitFor("the scheduled run to end", () =>
        stack.db.jobRun
          .findFirst({
            where: { name: "prune-logs", requestedBy: "schedule", status: { not: "running" } },
          })
          .then((run) => run ?? undefined),
      );
      expect(recorded.status).toBe("succeeded");
    } finally {
      await queue.obliterate({ force: true });
      await own.obliterate({ force: true });
      await queues.close();
    }
  });
});
