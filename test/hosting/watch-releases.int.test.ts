import http from "node:http";
import type { AddressInfo } from "node:net";
import { jest } from "@jest/globals";
import { Queue } from "bullmq";
import pino from "pino";
import { Registry } from "prom-client";
import { FAILURE_CODES } from "../../src/failures/codes.js";
import { openReleaseHost } from "../../src/hosting/release-host.js";
import { releaseSecrets } from "../../src/hosting/release-secrets.js";
import { type ReleaseWatch, watchReleases } from "../../src/hosting/watch-releases.js";
import { type NotifyWorker, startNotifyWorker } from "../../src/main/start-notify-worker.js";
import { registerReleaseMetrics } from "../../src/metrics/release-metrics.js";
import { NOTIFY_QUEUE } from "../../src/queue/notify-job.js";
import { connectRedis } from "../../src/queue/redis.js";
import { type DeploymentRecord, getDeploymentRecord } from "../../src/store/deployment-record.js";
import { programState } from "../../src/supervision/program-state.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { cli } from "../helpers/worker-process.js";

// A deploy (up to 90 s), then supervisord's restarts and the watch (seconds).
jest.setTimeout(180_000);

const DEPLOY_WAIT = 90_000;
const API_TOKEN = "tok-9f8e7d6c5b4a39281706";
const WATCH_WAIT = 30_000;

let stack: TestStack;
// Two watches, as two workers run them, that look only when told: each event is counted once.
let watch: ReleaseWatch;
let otherWatch: ReleaseWatch;
// The one the crash loop and the memory hog are watched by, looking every 200 ms.
let ticking: ReleaseWatch;
const HOUR = 3_600_000;
let notifier: NotifyWorker;
let redis: ReturnType<typeof connectRedis>;
let receiver: http.Server;
let hookUrl: string;
const received: unknown[] = [];

beforeAll(async () => {
  stack = await createTestStack({
    // A process that lives 2 s counts as started; one quick death is retried, the second is FATAL.
    RELEASE_START_SECONDS: "2",
    RELEASE_START_RETRIES: "1",
  });
  await stack.startWorker();
  watch = watchReleases(deps(), { intervalMs: HOUR });
  otherWatch = watchReleases(deps(), { intervalMs: HOUR });
  redis = connectRedis(stack.config.redisUrl);
  notifier = await startNotifyWorker(
    {
      db: stack.db,
      logger: pino({ level: "silent" }),
      keyring: stack.keyring,
      prefix: stack.config.queuePrefix,
    },
    redis,
    { pollMs: 200 },
  );
  receiver = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      received.push(JSON.parse(body));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/coduck`;
});
afterAll(async () => {
  await watch?.stop();
  await otherWatch?.stop();
  await ticking?.stop();
  await notifier?.close();
  if (redis && stack) {
    const queue = new Queue(NOTIFY_QUEUE, { connection: redis, prefix: stack.config.queuePrefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await redis?.quit();
  receiver?.close();
  await stack?.close();
});

/** What the worker gives its watch: the stack's database, host, and the releases' secrets. */
function deps() {
  return {
    db: stack.db,
    logger: stack.logger,
    host: () => openReleaseHost(stack.config),
    secretsOf: (project: { id: string; slug: string }) =>
      releaseSecrets({ db: stack.db, config: stack.config, keyring: stack.keyring }, project),
  };
}

/** Registers and deploys the crashing app as `slug`; resolves with its live record. */
async function deployCrashingApp(slug: string, setup: string[][] = []): Promise<DeploymentRecord> {
  const repo = await fixtureRepo("crashing-app");
  expect((await cli(["projects", "add", slug, "--repo", repo.dir], stack.env)).exitCode).toBe(0);
  for (const args of setup) expect((await cli(args, stack.env)).exitCode).toBe(0);
  const id = await stack.deploy({ project: slug, repoUrl: repo.dir });
  const record = await stack.waitForEnd(id, DEPLOY_WAIT);
  expect(record.status).toBe("succeeded");
  expect(record.release).not.toBeNull();
  return record;
}

/** The app's answer to `path`; undefined when none came (a request that kills it gets none). */
async function ask(url: string, path: string): Promise<string | undefined> {
  try {
    const response = await fetchApp(`${url}${path}`);
    const text = await response.text();
    return response.status === 200 ? text : undefined;
  } catch {
    return undefined;
  }
}

const recordOf = async (id: string) => (await getDeploymentRecord(stack.db, id))!;

async function releaseMetrics(): Promise<ReturnType<typeof parsePrometheusText>> {
  const registry = new Registry();
  registerReleaseMetrics(registry, stack.db);
  return parsePrometheusText(await registry.metrics());
}

describe("the supervision watch", () => {
  it("records a crashed live release that supervisord restarted: a new process that answers, restarts=1, degraded with the cause", async () => {
    const live = await deployCrashingApp("restarted", [
      ["env", "set", `API_TOKEN=${API_TOKEN}`, "--secret", "--project", "restarted"],
    ]);
    const { url, pid } = live.release!;
    expect(await ask(url, "/")).toBe("ok");

    // A release that ran past startsecs: supervisord restarts it at once when it dies.
    const host = await openReleaseHost(stack.config);
    const program = live.release!.program!;
    await waitFor(
      "the release to be RUNNING",
      async () => (await programState(host.supervisor, program))?.state === "RUNNING",
      WATCH_WAIT,
    );
    await ask(url, "/crash");
    await waitFor(
      "supervisord to start a new process",
      async () => {
        const state = await programState(host.supervisor, program);
        return state !== null && state.pid !== null && state.pid !== pid;
      },
      WATCH_WAIT,
    );
    // Both see the same new process at once; one records it.
    await Promise.all([watch.checkNow(), otherWatch.checkNow()]);
    const restarted = await recordOf(live.id);
    expect(restarted.release).toMatchObject({
      restarts: 1,
      lastExit: "exit status 1",
      lastRestartAt: expect.any(String),
      crashedAt: null,
    });
    // supervisord's new process is the one recorded, and it answers through the stable address.
    const newPid = restarted.release!.pid;
    expect(newPid).not.toBe(pid);
    expect((await programState(host.supervisor, restarted.release!.program!))?.pid).toBe(newPid);
    expect(await waitFor("the new process to answer", () => ask(url, "/"), WATCH_WAIT)).toBe("ok");
    // An uncaught error names no documented cause: the catalogue's "the app exited".
    expect(restarted.degraded).toMatchObject({
      code: "START_CRASHED",
      hint: FAILURE_CODES.START_CRASHED.hint,
      evidence: expect.stringContaining("Error: boom: crash requested (token [redacted])"),
    });
    expect(restarted.degraded!.evidence).not.toContain(API_TOKEN);
    expect(restarted.status).toBe("succeeded");

    // Once the new process runs, nothing more is counted: the watch has looked again since.
    await waitFor(
      "the program to be RUNNING",
      async () =>
        (await programState(host.supervisor, restarted.release!.program!))?.state === "RUNNING",
      WATCH_WAIT,
    );
    await Promise.all([watch.checkNow(), otherWatch.checkNow()]);
    expect((await recordOf(live.id)).release!.restarts).toBe(1);
    const metrics = await releaseMetrics();
    expect(sampleValue(metrics, "coduck_release_restarts", { project: "restarted" })).toBe(1);
    expect(
      sampleValue(metrics, "coduck_release_state", { project: "restarted", state: "running" }),
    ).toBe(1);
  });

  describe("looking on its own every 200 ms", () => {
    beforeAll(() => {
      ticking = watchReleases(
        { ...deps(), host: () => openReleaseHost(stack.config) },
        { intervalMs: 200 },
      );
    });

    it("marks a release in a crash loop crashed, with the cause, in the metrics, and notifies the project", async () => {
      const live = await deployCrashingApp("crash-loop", [
        ["projects", "set", "crash-loop", "--notify-url", hookUrl],
      ]);
      await ask(live.release!.url, "/crash-for-good");

      const crashed = await waitFor(
        "the crash to be recorded",
        async () => {
          const record = await recordOf(live.id);
          return record.release?.crashedAt ? record : undefined;
        },
        WATCH_WAIT,
      );
      const host = await openReleaseHost(stack.config);
      expect((await programState(host.supervisor, crashed.release!.program!))?.state).toBe("FATAL");
      expect(crashed.release!.lastExit).toBe("exit status 1");
      expect(crashed.degraded).toMatchObject({
        code: "START_CRASHED",
        evidence: expect.stringMatching(/^Error: /m),
      });

      const metrics = await releaseMetrics();
      expect(
        sampleValue(metrics, "coduck_release_state", { project: "crash-loop", state: "crashed" }),
      ).toBe(1);
      expect(
        sampleValue(metrics, "coduck_release_state", { project: "crash-loop", state: "running" }),
      ).toBe(0);

      const notified = await waitFor(
        "the crashed notification",
        () =>
          (
            received as { project: string; deliveryId: string; deployment: { status: string } }[]
          ).find((body) => body.project === "crash-loop" && body.deployment.status === "crashed"),
        WATCH_WAIT,
      );
      expect(notified).toMatchObject({
        deliveryId: `${live.id}.crashed`,
        deployment: {
          id: live.id,
          errorCode: "START_CRASHED",
          hint: FAILURE_CODES.START_CRASHED.hint,
        },
      });
    });

    it("classifies a release killed at its box's memory limit OUT_OF_MEMORY, naming the limit", async () => {
      const live = await deployCrashingApp("hog", [
        ["projects", "limits", "hog", "--memory-mb", "128"],
      ]);
      await ask(live.release!.url, "/hog");
      const restarted = await waitFor(
        "the restart to be recorded",
        async () => {
          const record = await recordOf(live.id);
          return record.release!.restarts > 0 ? record : undefined;
        },
        WATCH_WAIT,
      );
      expect(restarted.degraded).toMatchObject({
        code: "OUT_OF_MEMORY",
        evidence: expect.stringContaining("killed at the 128 MiB limit"),
      });
      expect(
        await waitFor("the new process to answer", () => ask(live.release!.url, "/"), WATCH_WAIT),
      ).toBe("ok");
    });
  });
});
