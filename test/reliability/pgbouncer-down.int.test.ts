import { jest } from "@jest/globals";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { DEPLOY_BACKOFF, DEPLOY_JOB } from "../../src/queue/deploy-job.js";
import { createDeployment } from "../../src/store/deployments.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";

// The stack's own PgBouncer stopped while an app that needs its database at start-up deploys:
// the start fails DATABASE_UNREACHABLE, BullMQ retries it after a backoff, and once PgBouncer
// is back the deploy succeeds; on the deploy's last attempt, the same failure ends it.

// A deploy runs twice, with a backoff between, and is then waited for up to 90 s.
jest.setTimeout(240_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack(
    { RETRY_BASE_DELAY_MS: "3000", RUNTIME_WATCH_SECONDS: "0" },
    { pgbouncer: {} },
  );
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

// Connects through DATABASE_URL (PgBouncer) before it listens, as many apps do.
const SERVER = `import { createServer } from "node:http";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const { rows } = await pool.query("SELECT count(*)::int AS notes FROM notes");
console.log(\`connected through port \${new URL(process.env.DATABASE_URL).port}\`);
createServer((request, response) => {
  if (request.url === "/healthz") return void response.writeHead(204).end();
  response.end(JSON.stringify(rows[0]));
}).listen(Number(process.env.PORT));
`;

describe("PgBouncer down during a deploy", () => {
  it("fails the start DATABASE_UNREACHABLE, retries with backoff, and succeeds once PgBouncer is back", async () => {
    const bouncer = stack.bouncer!;
    const repo = await fixtureRepo("prestart-app", { "server.js": SERVER });
    await bouncer.stop();
    const id = await stack.deploy({ project: "bouncer-down", repoUrl: repo.dir });

    const failed = await waitFor("the first attempt to fail and be retried", async () => {
      const row = await stack.db.deployment.findUniqueOrThrow({ where: { id } });
      return row.warnings.find((w) => w.startsWith("attempt 1 failed"));
    });
    expect(failed).toBe("attempt 1 failed at start (DATABASE_UNREACHABLE); retrying");
    // Waiting out its backoff in the queue, not running again at once.
    await waitFor("the job to wait out its backoff", async () => {
      return (await stack.queue.getJobState(id)) === "delayed";
    });
    expect((await stack.db.deployment.findUniqueOrThrow({ where: { id } })).status).toBe("queued");

    await bouncer.start();
    const record = await stack.waitForEnd(id, 90_000);
    expect(record.status).toBe("succeeded");
    expect(record.attempt).toBe(2);
    expect(record.errorCode).toBeNull();
    // The deployment row says succeeded a moment before BullMQ moves the job to completed.
    await waitFor("BullMQ to complete the job", async () => {
      return (await stack.queue.getJobState(id)) === "completed";
    });
    const job = await stack.queue.getJob(id);
    // BullMQ counts the failed attempt and the one that completed.
    expect(job?.attemptsMade).toBe(2);
    expect(await job?.isCompleted()).toBe(true);
    const live = await stack.db.deployment.findUniqueOrThrow({ where: { id } });
    expect(live.releaseStoppedAt).toBeNull(); // attempt 1's release was stopped, this one runs
    // Served at the project's stable address, through the router.
    const answer = await fetchApp(record.release!.url);
    expect(await answer.json()).toEqual({ notes: 1 });
  });

  it("ends the deploy failed when the passing failure comes on its last attempt, and retries no more", async () => {
    const bouncer = stack.bouncer!;
    const repo = await fixtureRepo("prestart-app", { "server.js": SERVER });
    await bouncer.stop();
    try {
      const { id } = await createDeployment(stack.db, {
        project: "bouncer-gone",
        repoUrl: repo.dir,
        ref: "main",
        trigger: "test",
        steps: DEPLOY_STEP_NAMES,
      });
      // Its job as the deploy's own, but with two attempts in all: the second is its last.
      await stack.queue.add(
        DEPLOY_JOB,
        { deploymentId: id },
        { jobId: id, attempts: 2, backoff: { type: DEPLOY_BACKOFF } },
      );
      const record = await stack.waitForEnd(id, 120_000);
      expect(record).toMatchObject({
        status: "failed",
        errorCode: "DATABASE_UNREACHABLE",
        attempt: 2,
      });
      const row = await stack.db.deployment.findUniqueOrThrow({ where: { id } });
      expect(row.warnings.filter((w) => w.endsWith("; retrying"))).toEqual([
        "attempt 1 failed at start (DATABASE_UNREACHABLE); retrying",
      ]);
      // BullMQ holds the job failed: nothing will run it a third time.
      await waitFor("BullMQ to fail the job", async () => {
        return (await stack.queue.getJobState(id)) === "failed";
      });
      expect((await stack.queue.getJob(id))?.attemptsMade).toBe(2);
    } finally {
      await bouncer.start();
    }
  });
});
