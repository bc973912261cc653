import type pg from "pg";
import type { Config } from "../config.js";
import { HostQueues } from "../queue/host-queues.js";
import {
  connectRedisForCommand,
  connectRedisToEnqueue,
  type RedisConnection,
} from "../queue/redis.js";
import type { Db } from "../store/prisma.js";
import { commandPool } from "./with-pool.js";

/**
 * Runs a CLI command with the worker's database and its queue, and closes both afterwards,
 * leaving nothing that keeps the process alive.
 */
export async function withQueue<T>(
  config: Config,
  work: (db: Db, queues: HostQueues, redis: RedisConnection) => Promise<T>,
): Promise<T> {
  // Imported here, so that a command on a bare pool (withQueueOnPool) never loads Prisma.
  const { connectDb } = await import("../store/prisma.js");
  const db = connectDb(config.databaseUrl);
  return withDeployQueue(
    connectRedisForCommand(config.redis),
    config.queuePrefix,
    (queues, redis) => work(db, queues, redis),
    () => db.$disconnect(),
  );
}

/**
 * The same with a bare node-postgres pool in place of Prisma's client, for a command whose
 * statements are plain SQL (`deploy`, with or without --wait): it then starts in a fraction of
 * the time, and its Redis connection makes no round trip before the enqueue. `redis` is also
 * what `deploy --wait` duplicates for its event reader, as under withQueue.
 */
export async function withQueueOnPool<T>(
  config: Config,
  work: (pool: pg.Pool, queues: HostQueues, redis: RedisConnection) => Promise<T>,
): Promise<T> {
  const pool = commandPool(config);
  return withDeployQueue(
    connectRedisToEnqueue(config.redis),
    config.queuePrefix,
    (queues, redis) => work(pool, queues, redis),
    () => pool.end(),
  );
}

async function withDeployQueue<T>(
  redis: RedisConnection,
  queuePrefix: string,
  work: (queues: HostQueues, redis: RedisConnection) => Promise<T>,
  closeDb: () => Promise<void>,
): Promise<T> {
  // Each host's queue is opened when a command first enqueues there (queue/host-queues.ts).
  const queues = new HostQueues(redis, queuePrefix);
  try {
    return await work(queues, redis);
  } finally {
    // Both at once: the process exits as soon as the slower one is closed.
    await Promise.all([
      queues.close().then(() => redis.quit().catch(() => redis.disconnect())),
      closeDb(),
    ]);
  }
}
