import type { Config } from "../config.js";
import { createHttpServer } from "../http/http-server.js";
import { ADMIN_TOKEN_MISSING } from "../http/operator-routes.js";
import type { Logger } from "../logger.js";
import { HostQueues } from "../queue/host-queues.js";
import { connectRedis } from "../queue/redis.js";
import { loadKeyring } from "../secrets/keyring.js";
import { connectDb } from "../store/prisma.js";
import { globalWebhookSecretWarning } from "./require-webhook-secret.js";

export type HttpIntake = { url: string; close(): Promise<void> };

/** Starts the HTTP server on its own database and Redis connections. */
export async function startHttpIntake(config: Config, logger: Logger): Promise<HttpIntake> {
  const db = connectDb(config.databaseUrl);
  const redis = connectRedis(config.redis);
  const queues = new HostQueues(redis, config.queuePrefix);
  const release = async () => {
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
    await db.$disconnect();
  };
  let server: Awaited<ReturnType<typeof createHttpServer>>;
  try {
    // The webhook opens each project's secret with the keyring; the Data view, the passwords
    // of the project roles it reads as.
    const keyring = await loadKeyring(config.secretsKey, config.dataDir);
    server = await createHttpServer({
      db,
      queues,
      logger,
      config,
      keyring,
      data: { db, config, keyring },
    });
  } catch (error) {
    await release();
    throw error;
  }
  const webhookWarning = globalWebhookSecretWarning(config);
  if (webhookWarning) logger.warn(webhookWarning);
  if (!config.http.adminToken) logger.warn(ADMIN_TOKEN_MISSING);
  logger.info({ url: server.url }, "http ready");
  return {
    url: server.url,
    async close() {
      await server.close();
      await release();
    },
  };
}

/** `coduck-worker serve`: HTTP only, until SIGTERM or SIGINT. Resolves with the exit code. */
export async function serveHttp(config: Config, logger: Logger): Promise<number> {
  const intake = await startHttpIntake(config, logger);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  logger.info({ signal }, "shutting down: closing the HTTP server");
  await intake.close();
  logger.info("http stopped");
  return 0;
}
