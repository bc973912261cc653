import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { fixtureRepo } from "../helpers/git-repo.js";
import { type PrivateRedis, startPrivateRedis } from "../helpers/private-redis.js";
import { stopLeftoverSteps } from "../helpers/releases.js";
import { tempDir } from "../helpers/temp-dir.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

// Two blocked deploys, the reconciler, then six deploys waited for (120 s each, mostly at once).
jest.setTimeout(360_000);

// A Redis (the test's own) restarted empty while deploys run and wait: the worker reconnects,
// reconciles at once, and every deployment runs exactly once to its end.

let redis: PrivateRedis;
let stack: TestStack;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  redis = await startPrivateRedis();
  // The blocking app waits for files the test makes outside its release, and reports host pids:
  // no sandbox, which would hide the one and renumber the other (test/security proves it).
  stack = await createTestStack({
    REDIS_URL: redis.url,
    RUNTIME_WATCH_SECONDS: "0",
    SANDBOX: "off",
  });
});
afterAll(async () => {
  worker?.child.kill("SIGKILL");
  await worker?.child;
  if (stack) await stopLeftoverSteps(stack.db);
  await stack?.close();
  await redis?.stop();
});

describe("Redis restarted with its data wiped", () => {
  it("loses no deployment and runs none twice", async () => {
    const dir = await tempDir("coduck-block-");
    const plain = await fixtureRepo("blocking-app");
    worker = await startWorkerProcess({
      ...stack.env,
      WORKER_CONCURRENCY: "2",
      JOB_LOCK_SECONDS: "4",
    });

    // Two deploys running (each held at install), four waiting in the queue.
    const running = [await deployBlocked("wiped-a", dir), await deployBlocked("wiped-b", dir)];
    for (const [id, project] of running) {
      await waitFor(`${project} to block`, () =>
        existsSync(path.join(dir, `install-${project}.ready`)),
      );
      expect((await stack.db.deployment.findUniqueOrThrow({ where: { id } })).status).toBe(
        "running",
      );
    }
    const waiting = [
      await stack.deploy({ project: "wiped-c", repoUrl: plain.dir }),
      await stack.deploy({ project: "wiped-d", repoUrl: plain.dir }),
      await stack.deploy({ project: "wiped-e", repoUrl: plain.dir }),
      // Behind the running deploy of its project.
      await stack.deploy({ project: "wiped-a", repoUrl: plain.dir }),
    ];
    expect(await stack.queue.getWaitingCount()).toBeGreaterThanOrEqual(waiting.length - 1);

    await redis.restartEmpty();
    const reconciled = await worker.waitForLog("reconciled deployments the queue had lost");
    expect((reconciled.requeued as string[]).sort()).toEqual(
      [...running.map(([id]) => id), ...waiting].sort(),
    );
    // The running deploys were alive: nothing of theirs was interrupted.
    expect(reconciled.interrupted).toEqual([]);

    for (const [, project] of running) await writeFile(path.join(dir, `install-${project}.go`), "");
    const ids = [...running.map(([id]) => id), ...waiting];
    for (const id of ids) {
      const record = await stack.waitForEnd(id, 120_000);
      expect([id, record.status, record.attempt]).toEqual([id, "succeeded", 1]);
    }
    // Every job ends in Redis; nothing is left waiting or running.
    await waitFor("the queue to drain", async () => {
      const counts = await stack.queue.getJobCounts("waiting", "active", "delayed");
      return Object.values(counts).every((n) => n === 0);
    });
    expect(await stack.db.deployment.count()).toBe(ids.length);
    // The two deploys of wiped-a ran one after the other.
    const [a1, a2] = await Promise.all(
      [running[0]![0], waiting[3]!].map((id) =>
        stack.db.deployment.findUniqueOrThrow({ where: { id } }),
      ),
    );
    expect(a2!.startedAt!.getTime()).toBeGreaterThanOrEqual(a1!.finishedAt!.getTime());

    worker.child.kill("SIGTERM");
    expect((await worker.child).exitCode).toBe(0);
  });
});

/** A deploy held at install until `<dir>/install-<project>.go` exists. */
async function deployBlocked(project: string, dir: string) {
  const repo = await fixtureRepo("blocking-app", {
    "coduck.json": JSON.stringify({
      install: `node block.js install-${project} && npm ci`,
      env: { BLOCK_DIR: dir },
    }),
  });
  const id = await stack.deploy({ project, repoUrl: repo.dir });
  return [id, project] as const;
}
