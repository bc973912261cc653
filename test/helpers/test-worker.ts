import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Queue } from "bullmq";
import pino from "pino";
import { type Config, loadConfig } from "../../src/config.js";
import { parseDeployRequest } from "../../src/deploys/deploy-request.js";
import { queueDeployment } from "../../src/deploys/queue-deployment.js";
import { stopWaitingLauncher } from "../../src/exec/ready-launcher.js";
import { stopOwnReleaseHost } from "../../src/hosting/release-host.js";
import { startHostHeartbeat } from "../../src/main/host-heartbeat.js";
import { type DeployWorker, startDeployWorker } from "../../src/main/start-deploy-worker.js";
import { stopRuntimeWatches } from "../../src/pipeline/runtime-watch.js";
import { HostQueues } from "../../src/queue/host-queues.js";
import { connectRedis } from "../../src/queue/redis.js";
import { stopProcessGroup } from "../../src/releases/process-group.js";
import { type Keyring, parseKeyring } from "../../src/secrets/keyring.js";
import { type DeploymentRecord, getDeploymentRecord } from "../../src/store/deployment-record.js";
import { addHost, hostIds as hostIdsOf, placementFor } from "../../src/store/hosts.js";
import { connectDb, type Db } from "../../src/store/prisma.js";
import { createTestDatabase, dropProjectDatabases } from "./databases.js";
import { TEST_RUN_FILE } from "./global-teardown.js";
import { type PgBouncer, startPgBouncer } from "./pgbouncer.js";

/** The password of pgbouncer_auth in every test stack (PgBouncer's auth_file holds it). */
export const TEST_PGBOUNCER_AUTH_PASSWORD = "test-pgbouncer-auth-password";

/**
 * Everything one test file needs: its own worker database, its own queue prefix in the real
 * Redis, its own data directory, and a worker running in this process on them.
 */
export type TestStack = {
  config: Config;
  keyring: Keyring;
  db: Db;
  /** The stack's queues: every host's (`queues.deploy(hostId)`), and the shared ones. */
  queues: HostQueues;
  /** The deploy queue of the stack's own host (HOST_ID, unique per stack): `deploys@<host>`. */
  queue: Queue;
  /** Every line the in-process workers logged (JSON). */
  logs: string[];
  /** The logger that writes into `logs`. */
  logger: pino.Logger;
  /** The stack's own PgBouncer, when it was asked for one. */
  bouncer: PgBouncer | null;
  /** Environment for a worker or CLI process that should share this stack. */
  env: Record<string, string>;
  /**
   * A deploy worker in this process, of the stack's host; with `env`, of the host those
   * settings make (HOST_ID, DATA_DIR, …) on the same worker database and queue prefix: a second
   * host in one process. Each registers its host and heartbeats it until close().
   */
  startWorker(env?: Record<string, string>): Promise<DeployWorker>;
  deploy(request: { project: string; repoUrl: string; ref?: string }): Promise<string>;
  waitForEnd(id: string, timeoutMs?: number): Promise<DeploymentRecord>;
  close(): Promise<void>;
};

export async function createTestStack(
  overrides: Record<string, string> = {},
  options: {
    pgbouncer?: { lookupSchema?: string; bin?: string; maxPreparedStatements?: number };
  } = {},
): Promise<TestStack> {
  // A real PgBouncer in front of the project databases, for tests that connect through it.
  const bouncer = options.pgbouncer
    ? await startPgBouncer({ authPassword: TEST_PGBOUNCER_AUTH_PASSWORD, ...options.pgbouncer })
    : null;
  if (bouncer) overrides = { PGBOUNCER_PORT: String(bouncer.port), ...overrides };
  // Without a PgBouncer the go-live login through it cannot be made (nothing listens).
  else overrides = { PGBOUNCER_LOGIN_CHECK: "off", ...overrides };
  const database = await createTestDatabase();
  const namespace = randomBytes(4).toString("hex");
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coduck-data-"));
  // Names this run, so its global teardown stops a supervisord or Caddy that close() missed.
  await writeFile(path.join(dataDir, TEST_RUN_FILE), process.env.TEST_TEMPLATE_DATABASE ?? "");
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    QUEUE_PREFIX: `test-${namespace}`,
    DATA_DIR: dataDir,
    // Its own host, so that parallel test files never take each other's jobs (queue names are
    // per host, and each stack has its own QUEUE_PREFIX besides).
    HOST_ID: `t-${namespace}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    SECRETS_KEY: randomBytes(32).toString("base64"),
    // Project databases and roles of this stack only, dropped by close().
    PROJECT_DATABASE_PREFIX: `t${namespace}`,
    DIRECT_DATABASE_PORT: "5432",
    PGBOUNCER_AUTH_PASSWORD: TEST_PGBOUNCER_AUTH_PASSWORD,
    // The stack's own Caddy (started at its first go-live) serves the projects here.
    APPS_HTTP_PORT: String(await appsPort()),
    // Tests that look at the swap set their own drain; the others need none.
    DRAIN_SECONDS: "0",
    ...overrides,
  };
  const config = loadConfig(env);
  const keyring = parseKeyring(config.secretsKey!);
  const db = connectDb(config.databaseUrl);
  const redis = connectRedis(config.redis);
  const queues = new HostQueues(redis, config.queuePrefix);
  const queue = queues.deploy(config.host.id);
  // Recorded at once, as a host whose worker has not started (down until startWorker): a
  // deploy queued before any worker starts is placed on it, the installation's only host.
  await addHost(db, config.host);
  const workers: {
    running: DeployWorker;
    redis: ReturnType<typeof connectRedis>;
    heartbeat: { stop(): void };
  }[] = [];
  const logs: string[] = [];
  const logger = pino(
    { level: config.logLevel === "silent" ? "info" : config.logLevel },
    { write: (line: string) => void logs.push(line) },
  );

  return {
    config,
    keyring,
    db,
    queues,
    queue,
    logs,
    logger,
    bouncer,
    env,
    async startWorker(workerEnv) {
      const workerConfig = workerEnv ? loadConfig({ ...env, ...workerEnv }) : config;
      const workerRedis = connectRedis(config.redis);
      const heartbeat = await startHostHeartbeat(db, workerConfig, logger);
      const running = startDeployWorker(
        { db, logger, config: workerConfig, keyring },
        workerRedis,
        { concurrency: workerConfig.concurrency, prefix: workerConfig.queuePrefix },
      );
      await running.worker.waitUntilReady();
      workers.push({ running, redis: workerRedis, heartbeat });
      return running;
    },
    async deploy({ project, repoUrl, ref = "main" }) {
      const request = parseDeployRequest({ project, repoUrl, ref });
      if (!request.success) throw request.error;
      const placement = placementFor(config.host);
      return queueDeployment({ db, queues, placement }, request.data, "test");
    },
    async waitForEnd(id, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await getDeploymentRecord(db, id);
        if (record && !["queued", "running"].includes(record.status)) return record;
        if (Date.now() > deadline)
          throw new Error(`deployment ${id} still ${record?.status} after ${timeoutMs}ms`);
        await sleep(100);
      }
    },
    async close() {
      for (const { running, redis: workerRedis, heartbeat } of workers) {
        heartbeat.stop();
        await running.worker.close();
        await workerRedis.quit();
      }
      await stopRuntimeWatches();
      stopWaitingLauncher();
      // The stack's own supervisord (stopping the releases it runs) and Caddy: they outlive a
      // worker on purpose, so nothing else stops them. First: a release killed while supervisord
      // still runs would be started again, and write into DATA_DIR while it is removed.
      await stopOwnReleaseHost(config);
      // Whatever still runs outside supervisord (a test's own process, SANDBOX=off leftovers).
      const releases = await db.deployment.findMany({
        where: { releasePid: { not: null }, releaseStoppedAt: null },
        select: { releasePid: true },
      });
      await Promise.all(releases.map((r) => stopProcessGroup(r.releasePid!, 2_000)));
      // Every queue the stack's hosts used (the prefix is the stack's own).
      const used = queues.all(await hostIdsOf(db));
      for (const each of used) await each.obliterate({ force: true }).catch(() => {});
      await queues.close();
      await redis.quit();
      await db.$disconnect();
      await database.drop();
      await dropProjectDatabases(config.projectDatabasePrefix);
      await bouncer?.stop();
      // Last: the releases ran from it. (A test may point DATA_DIR elsewhere; that one is its own.)
      if (process.env.KEEP_TEST_DIRS !== "1")
        await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}

/**
 * A port for a stack's Caddy, which binds it only at the stack's first go-live: taken from
 * below the kernel's ephemeral range, where the ports of other stacks' releases (freePort, the
 * kernel's choice) never land meanwhile, and free when chosen.
 */
async function appsPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
