import type { Queue } from "bullmq";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Db } from "../store/prisma.js";
import { operatorRoutes } from "./operator-routes.js";
import type { ProjectDataDeps } from "./project-data.js";
import { githubWebhookRoute } from "./routes/github-webhook.js";
import { healthzRoute } from "./routes/healthz.js";
import { metricsRoute } from "./routes/metrics.js";
import { readyzRoute } from "./routes/readyz.js";

/** What the HTTP routes work with: the worker's database, the deploy queue, a logger. */
export type HttpDeps = {
  db: Db;
  queue: Queue;
  logger: Logger;
  config: Pick<Config, "http">;
  /** For the Data view (tables, rows, backups): without it, those pages are not served. */
  data?: ProjectDataDeps;
};

/** The HTTP app with every route, not listening: tests drive it with `app.inject`. */
export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino is fastify's own logger; only its generic parameters differ.
    loggerInstance: deps.logger.child({ component: "http" }) as FastifyBaseLogger,
    // Behind a proxy the client address is not ours to trust; nothing here depends on it.
    trustProxy: false,
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    // Fastify's own errors (413 too large, 415, …) carry a message fit for the caller.
    return reply
      .code(status)
      .send({ error: status >= 500 ? "internal error: see the worker's log" : error.message });
  });
  await app.register(healthzRoute);
  await app.register((scope) => readyzRoute(scope, deps));
  await app.register((scope) => metricsRoute(scope, deps));
  await app.register((scope) => githubWebhookRoute(scope, deps));
  await app.register((scope) => operatorRoutes(scope, deps));
  await app.ready();
  return app;
}
