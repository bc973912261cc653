import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Queue } from "bullmq";
import pino from "pino";
import { type Config, loadConfig } from "../../src/config.js";
import { parseDeployRequest } from "../../src/deploys/deploy-request.js";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/steps/index.js";
import { enqueueDeploy } from "../../src/queue/deploy-job.js";
import { deployQueue } from "../../src/queue/queues.js";
import { connectRedis } from "../../src/queue/redis.js";
import { type DeployWorker, startDeployWorker } from "../../src/queue/start-worker.js";
import { type DeploymentRecord, getDeploymentRecord } from "../../src/store/deployment-record.js";
import { createDeployment } from "../../src/store/deployments.js";
import { connectDb, type Db } from "../../src/store/prisma.js";
import { createTestDatabase } from "./databases.js";

/**
 * Everything one test file needs: its own worker database, its own queue prefix in the real
 * Redis, its own data directory, and a worker running in this process on them.
 */
export type TestStack = {
  config: Config;
  db: Db;
  queue: Queue;
  /** Environment for a worker or CLI process that should share this stack. */
  env: Record<string, string>;
  startWorker(): Promise<DeployWorker>;
  deploy(request: { project: string; repoUrl: string; ref?: string }): Promise<string>;
  waitForEnd(id: string, timeoutMs?: number): Promise<DeploymentRecord>;
  close(): Promise<void>;
};

export async function createTestStack(overrides: Record<string, string> = {}): Promise<TestStack> {
  const database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    QUEUE_PREFIX: `test-${randomBytes(5).toString("hex")}`,
    DATA_DIR: await mkdtemp(path.join(os.tmpdir(), "coduck-data-")),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...overrides,
  };
  const config = loadConfig(env);
  const db = connectDb(config.databaseUrl);
  const redis = connectRedis(config.redisUrl);
  const queue = deployQueue(redis, config.queuePrefix);
  const workers: { running: DeployWorker; redis: ReturnType<typeof connectRedis> }[] = [];
  const logger = pino({ level: config.logLevel });

  return {
    config,
    db,
    queue,
    env,
    async startWorker() {
      const workerRedis = connectRedis(config.redisUrl);
      const running = startDeployWorker({ db, logger, config }, workerRedis, {
        concurrency: config.concurrency,
        prefix: config.queuePrefix,
      });
      await running.worker.waitUntilReady();
      workers.push({ running, redis: workerRedis });
      return running;
    },
    async deploy({ project, repoUrl, ref = "main" }) {
      const request = parseDeployRequest({ project, repoUrl, ref });
      if (!request.success) throw request.error;
      const { id } = await createDeployment(db, {
        ...request.data,
        trigger: "test",
        steps: DEPLOY_STEP_NAMES,
      });
      await enqueueDeploy(queue, id);
      return id;
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
      for (const { running, redis: workerRedis } of workers) {
        await running.worker.close();
        await workerRedis.quit();
      }
      await queue.obliterate({ force: true });
      await queue.close();
      await redis.quit();
      await db.$disconnect();
      await database.drop();
    },
  };
}
