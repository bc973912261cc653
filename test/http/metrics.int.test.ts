import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { buildApp } from "../../src/http/build-app.js";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { DEPLOY_ATTEMPTS } from "../../src/queue/deploy-job.js";
import { reconcileAndRecord } from "../../src/recovery/record-reconcile.js";
import { createDeployment } from "../../src/store/deployments.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { parsePrometheusText, type Sample, sampleValue } from "../helpers/prometheus-text.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

const quiet = pino({ level: "silent" });
const STEP_BOUNDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800];

let stack: TestStack;
let app: FastifyInstance;
let failedCode: string;

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
  const good = await fixtureRepo("node-http");
  const bad = await fixtureRepo("node-http", {
    "scripts/build.js":
      'console.log("compiling");\nconsole.error("Error: cannot compile src/index.js");\nprocess.exit(2);\n',
  });
  const succeeded = await stack.deploy({ project: "metrics-ok", repoUrl: good.dir });
  const failed = await stack.deploy({ project: "metrics-bad", repoUrl: bad.dir });
  expect((await stack.waitForEnd(succeeded)).status).toBe("succeeded");
  const failure = await stack.waitForEnd(failed);
  expect(failure.status).toBe("failed");
  failedCode = failure.errorCode!;

  // A second deploy of metrics-ok that Redis "lost": the reconciler queues it again.
  const lost = await createDeployment(stack.db, {
    hostId: stack.config.host.id,
    project: "metrics-ok",
    repoUrl: good.dir,
    ref: "main",
    trigger: "test",
    steps: DEPLOY_STEP_NAMES,
  });
  expect(
    (
      await reconcileAndRecord(
        stack.db,
        stack.queues,
        stack.config.host.id,
        quiet,
        stack.config.databaseUrl,
        DEPLOY_ATTEMPTS,
      )
    ).requeued,
  ).toEqual([lost.id]);
  expect((await stack.waitForEnd(lost.id)).status).toBe("succeeded");
  // Postgres records the end a moment before BullMQ moves the job out of `active`.
  for (let i = 0; i < 100; i++) {
    const counts = await stack.queue.getJobCounts("active", "waiting", "delayed");
    if (Object.values(counts).every((n) => n === 0)) break;
    await sleep(50);
  }

  app = await buildTestApp(stack);
}, 180_000);
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

async function scrape(): Promise<Sample[]> {
  const response = await app.inject({ method: "GET", url: "/metrics" });
  expect(response.statusCode).toBe(200);
  expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(response.body);
}

describe("GET /metrics", () => {
  it("counts deployments by status and failed ones by code, from Postgres", async () => {
    const samples = await scrape();
    expect(sampleValue(samples, "coduck_deployments", { status: "succeeded" })).toBe(2);
    expect(sampleValue(samples, "coduck_deployments", { status: "failed" })).toBe(1);
    expect(sampleValue(samples, "coduck_deployments", { status: "queued" })).toBe(0);
    expect(failedCode).toBe("BUILD_FAILED");
    expect(sampleValue(samples, "coduck_failed_deployments", { code: failedCode })).toBe(1);
  });

  it("has step duration histograms that agree with the recorded steps", async () => {
    const samples = await scrape();
    const steps = await stack.db.deploymentStep.findMany({
      where: { durationMs: { not: null } },
      select: { name: true, status: true, durationMs: true },
    });
    expect(
      sampleValue(samples, "coduck_step_duration_seconds_count", {
        step: "build",
        status: "failed",
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, "coduck_step_duration_seconds_count", {
        step: "start",
        status: "succeeded",
      }),
    ).toBe(2);
    // Every bucket of every series is the number of recorded steps at or under its bound.
    for (const name of ["checkout", "install", "build", "start"]) {
      for (const status of ["succeeded", "failed"]) {
        const ms = steps
          .filter((s) => s.name === name && s.status === status)
          .map((s) => s.durationMs!);
        if (ms.length === 0) continue;
        const labels = { step: name, status };
        for (const le of STEP_BOUNDS) {
          const bucket = sampleValue(samples, "coduck_step_duration_seconds_bucket", {
            ...labels,
            le: String(le),
          });
          expect({ le, bucket }).toEqual({ le, bucket: ms.filter((d) => d <= le * 1000).length });
        }
        expect(
          sampleValue(samples, "coduck_step_duration_seconds_bucket", { ...labels, le: "+Inf" }),
        ).toBe(ms.length);
        expect(sampleValue(samples, "coduck_step_duration_seconds_sum", labels)).toBeCloseTo(
          ms.reduce((a, b) => a + b, 0) / 1000,
          3,
        );
      }
    }
  });

  it("tells a project's first provisioning from the repeats", async () => {
    const samples = await scrape();
    // metrics-ok and metrics-bad were provisioned once each; metrics-ok's second deploy verified.
    expect(
      sampleValue(samples, "coduck_provisioning_duration_seconds_count", { kind: "first" }),
    ).toBe(2);
    expect(
      sampleValue(samples, "coduck_provisioning_duration_seconds_count", { kind: "repeat" }),
    ).toBe(1);
  });

  it("reports queue counts from Redis and what the reconciler did", async () => {
    const samples = await scrape();
    const deploys = stack.queue.name;
    expect(sampleValue(samples, "coduck_queue_up")).toBe(1);
    expect(sampleValue(samples, "coduck_queue_jobs", { queue: deploys, state: "failed" })).toBe(1);
    expect(sampleValue(samples, "coduck_queue_jobs", { queue: deploys, state: "waiting" })).toBe(0);
    expect(sampleValue(samples, "coduck_queue_jobs", { queue: deploys, state: "active" })).toBe(0);
    expect(sampleValue(samples, "coduck_queue_jobs", { queue: deploys, state: "delayed" })).toBe(0);
    expect(sampleValue(samples, "coduck_reconciler_actions_total", { action: "requeued" })).toBe(1);
    expect(sampleValue(samples, "coduck_reconciler_actions_total", { action: "interrupted" })).toBe(
      0,
    );
    // The reconciler's run is a JobRun, so it shows among the job runs too.
    expect(
      sampleValue(samples, "coduck_job_runs_total", { name: "reconcile", status: "succeeded" }),
    ).toBe(1);
    const last = sampleValue(samples, "coduck_job_run_last_success_timestamp_seconds", {
      name: "reconcile",
    });
    expect(Date.now() / 1000 - last!).toBeLessThan(300);
  });

  it("reports each host: up while its worker heartbeats, 0 once down, its projects, draining", async () => {
    const host = stack.config.host.id;
    let samples = await scrape();
    expect(sampleValue(samples, "coduck_host_up", { host })).toBe(1);
    expect(sampleValue(samples, "coduck_host_draining", { host })).toBe(0);
    expect(sampleValue(samples, "coduck_host_projects", { host })).toBe(2);
    // Another host whose heartbeat stopped a minute ago: down, its queue counted too.
    await stack.db.host.create({
      data: { id: "gone", address: "10.0.0.9:8080", maxProjects: 5, state: "draining" },
    });
    await stack.db
      .$executeRaw`UPDATE "Host" SET "heartbeatAt" = (now() AT TIME ZONE 'UTC') - interval '1 minute' WHERE id = 'gone'`;
    samples = await scrape();
    expect(sampleValue(samples, "coduck_host_up", { host: "gone" })).toBe(0);
    expect(sampleValue(samples, "coduck_host_draining", { host: "gone" })).toBe(1);
    expect(
      sampleValue(samples, "coduck_queue_jobs", { queue: "deploys@gone", state: "waiting" }),
    ).toBe(0);
    await stack.db.host.delete({ where: { id: "gone" } });
  });

  it("answers only the bearer of METRICS_TOKEN when one is set", async () => {
    const token = "metrics-token-0123456789abcdef";
    const guarded = await buildApp({
      db: stack.db,
      queues: stack.queues,
      logger: quiet,
      config: { ...stack.config, http: { ...stack.config.http, metricsToken: token } },
    });
    try {
      const refused = await guarded.inject({ method: "GET", url: "/metrics" });
      expect(refused.statusCode).toBe(401);
      const wrong = await guarded.inject({
        method: "GET",
        url: "/metrics",
        headers: { authorization: "Bearer not-the-token-at-all-000" },
      });
      expect(wrong.statusCode).toBe(401);
      const allowed = await guarded.inject({
        method: "GET",
        url: "/metrics",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(allowed.statusCode).toBe(200);
      expect(allowed.body).toContain("coduck_deployments{");
    } finally {
      await guarded.close();
    }
  });
});
