import { PassThrough } from "node:stream";
import { jest } from "@jest/globals";
import { followDeployment } from "../../src/cli/follow-deployment.js";
import { HostQueues } from "../../src/queue/host-queues.js";
import { connectRedisForCommand, type RedisConnection } from "../../src/queue/redis.js";
import { fixtureRepo, type GitRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// `deploy --wait` follows a deployment by the events its worker publishes: a real worker, the
// real Redis and Postgres.
jest.setTimeout(90_000);

let stack: TestStack;
let redis: RedisConnection;
let repo: GitRepo;

beforeAll(async () => {
  stack = await createTestStack({ WORKER_CONCURRENCY: "1" });
  redis = connectRedisForCommand(stack.config.redisUrl);
  repo = await fixtureRepo("node-http");
});
afterAll(async () => {
  redis?.disconnect();
  await stack?.close();
});

/** What the follower printed, line by line, as it printed it. */
function lines() {
  const out = new PassThrough();
  const seen: string[] = [];
  out.on("data", (chunk: Buffer) =>
    seen.push(
      ...chunk
        .toString()
        .split("\n")
        .flatMap((l) => (l.trim() ? [l.trim()] : [])),
    ),
  );
  return { out, seen };
}

describe("following a deployment", () => {
  it("says plainly that no worker is running, then follows each step by its events alone", async () => {
    const id = await stack.deploy({ project: "follow-app", repoUrl: repo.dir });
    const { out, seen } = lines();
    // The poll under the events is an hour: every line after the first read comes from an event.
    const following = followDeployment(
      { db: stack.db, queues: stack.queues, redis, pollMs: 3_600_000 },
      id,
      out,
    );
    const deadline = Date.now() + 20_000;
    while (!seen.some((line) => line.includes("waiting")) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The stack's host has never had a worker: its deploys wait for it, and it is named.
    expect(seen).toEqual([
      `waiting for host ${stack.config.host.id}, down (its worker never started): follow-app's jobs run only there, and start when its worker is back`,
    ]);

    await stack.startWorker();
    const record = await following;
    expect(record.status).toBe("succeeded");
    const steps = seen.slice(1).map((line) => line.split(/\s+/).slice(0, 2).join(" "));
    // Each step as it started and as it ended (schema is skipped: no Prisma in the app).
    for (const name of ["provision", "checkout", "install", "build", "start"]) {
      expect(steps).toContain(`${name} running`);
      expect(steps).toContain(`${name} succeeded`);
    }
    expect(steps).toContain("schema skipped");
    expect(steps.indexOf("start succeeded")).toBe(steps.length - 1);
  });

  it("says so when every worker is busy with other deploys", async () => {
    const first = await stack.deploy({ project: "busy-app", repoUrl: repo.dir });
    while ((await stack.db.deployment.findUnique({ where: { id: first } }))?.status === "queued") {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const id = await stack.deploy({ project: "follow-app", repoUrl: repo.dir });
    const { out, seen } = lines();
    const record = await followDeployment({ db: stack.db, queues: stack.queues, redis }, id, out);
    expect(record.status).toBe("succeeded");
    // One worker, of concurrency 1 (WORKER_CONCURRENCY above), runs the first deploy.
    expect(seen[0]).toBe(
      `waiting for a free worker on host ${stack.config.host.id}: 1 worker is busy with other deploys`,
    );
  });

  it("still ends when no event reaches it: the slow poll reads the record", async () => {
    const id = await stack.deploy({ project: "follow-app", repoUrl: repo.dir });
    const { out, seen } = lines();
    // Events are read under another queue prefix, where none of this deployment's arrive.
    const elsewhere = new HostQueues(redis, "nowhere");
    const record = await followDeployment(
      { db: stack.db, queues: elsewhere, redis, pollMs: 200 },
      id,
      out,
    );
    expect(record.status).toBe("succeeded");
    expect(seen.at(-1)).toMatch(/^start\s+succeeded/);
  });
});
