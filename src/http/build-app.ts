import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import type { HttpDeps } from "./http-deps.js";
import { operatorRoutes } from "./operator-routes.js";
import { caddyAskRoute } from "./probes/caddy-ask.js";
import { healthzRoute } from "./probes/healthz.js";
import { metricsRoute } from "./probes/metrics.js";
import { readyzRoute } from "./probes/readyz.js";
import { githubWebhookRoute } from "./webhook/github-webhook.js";

/** The HTTP app with every route, not listening: tests drive it with `app.inject`. */
export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino is fastify's own logger; only its generic parameters differ.
    loggerInstance: deps.logger.child({ component: "http" }) as FastifyBaseLogger,
    // X-Forwarded-For/-Host/-Proto count only from the proxies TRUST_PROXY names (the client's
    // address for the wrong-token limit; the host and scheme for the dashboard's cookie and
    // same-origin check); otherwise they are never read.
    trustProxy: fastifyTrustProxy(deps.config.http.trustProxy),
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
  await app.register((scope) =>
    caddyAskRoute(scope, {
      appsDomain: deps.config.releases.appsDomain,
      projectExists: async (slug) => (await deps.db.project.count({ where: { slug } })) > 0,
    }),
  );
  await app.register((scope) => githubWebhookRoute(scope, deps));
  await app.register((scope) => operatorRoutes(scope, deps));
  await app.ready();
  return app;
}

/**
 * TRUST_PROXY as fastify's option. A hop count becomes a function of the hop: fastify treats a
 * bare number as trusting no peer for the forwarded host and scheme.
 */
function fastifyTrustProxy(trust: Config["http"]["trustProxy"]) {
  if (typeof trust !== "number") return trust;
  return (_address: string, hop: number) => hop < trust;
}
