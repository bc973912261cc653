import type { Config } from "../config.js";
import { cancelDeployment } from "../deploys/cancel-deployment.js";
import { deployQueue } from "../queue/queues.js";
import { connectRedis } from "../queue/redis.js";
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
  const redis = connectRedis(config.redisUrl);
  const queue = deployQueue(redis, config.queuePrefix);
  try {
    const { outcome } = await cancelDeployment({ db, queue }, { deploymentId: id });
    out.write(
      outcome === "cancelled"
        ? `cancelled deployment ${id} before it started\n`
        : `deployment ${id} is stopping: its running step is being killed\n`,
    );
  } finally {
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
    await db.$disconnect();
  }
}
