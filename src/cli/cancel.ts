import type { Config } from "../config.js";
import { UsageError } from "../errors.js";
import { deployQueue } from "../queue/queues.js";
import { connectRedis } from "../queue/redis.js";
import { requestCancel } from "../store/deployments.js";
import { connectDb } from "../store/prisma.js";
import { deploymentId } from "./deployment-id.js";

/** `coduck-worker cancel <id>`: works from any machine that reaches the worker's database. */
export async function cancelCommand(
  config: Config,
  id: string,
  out: NodeJS.WritableStream,
): Promise<void> {
  deploymentId(id);
  const db = connectDb(config.databaseUrl);
  try {
    const result = await requestCancel(db, id);
    if (result.outcome === "ended") {
      throw new UsageError(
        result.status
          ? `deployment ${id} has already ended (${result.status})`
          : `no deployment ${id}`,
      );
    }
    if (result.outcome === "cancelled") {
      await removeQueuedJob(config, id);
      out.write(`cancelled deployment ${id} before it started\n`);
    } else {
      out.write(`deployment ${id} is stopping: its running step is being killed\n`);
    }
  } finally {
    await db.$disconnect();
  }
}

/** Best effort: a job left behind finds its deployment cancelled and does nothing. */
async function removeQueuedJob(config: Config, id: string): Promise<void> {
  const redis = connectRedis(config.redisUrl);
  const queue = deployQueue(redis, config.queuePrefix);
  try {
    await queue.remove(id).catch(() => 0);
  } finally {
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
