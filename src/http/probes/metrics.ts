import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { createMetricsRegistry } from "../../metrics/metrics-registry.js";
import { hostIds } from "../../store/hosts.js";
import type { HttpDeps } from "../http-deps.js";

/**
 * `GET /metrics`: Prometheus' text format. With METRICS_TOKEN set, only a scraper sending
 * `Authorization: Bearer <token>` is answered (the server listens on every interface).
 */
export async function metricsRoute(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  // Every host's queues and the shared ones (per-host waiting jobs: coduck_queue_jobs).
  const registry = createMetricsRegistry({
    db: deps.db,
    queues: async () => deps.queues.all(await hostIds(deps.db)),
    logger: deps.logger,
    hostDownAfterMs: deps.config.host.downAfterMs,
  });

  app.get("/metrics", async (request, reply) => {
    const token = deps.config.http.metricsToken;
    if (token && !bearerMatches(request.headers.authorization, token)) {
      return reply.code(401).send({ error: "send Authorization: Bearer <METRICS_TOKEN>" });
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const sent = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7) : "");
  const expected = Buffer.from(token);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}
