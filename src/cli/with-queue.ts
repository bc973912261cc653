import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import { deployQueue } from "../queue/queues.js";
import { connectRedisForCommand } from "../queue/redis.js";
import { connectDb, type Db } from "../store/prisma.js";

/**
 * Runs a CLI command with the worker's database and its queue, and closes both afterwards,
 * leaving nothing that keeps the process alive.
 */
export async function withQueue<T>(
  config: Config,
  work: (db: Db, queue: Queue, redis: Redis) => Promise<T>,
): Promise<T> {
  const db = connectDb(config.databaseUrl);
  const redis = connectRedisForCommand(config.redisUrl);
  const queue = deployQueue(redis, config.queuePrefix);
  try {
    return await work(db, queue, redis);
  } finally {
    // Both at once: the process exits as soon as the slower one is closed.
    await Promise.all([
      queue.close().then(() => redis.quit().catch(() => redis.disconnect())),
      db.$disconnect(),
    ]);
  }
}
