import type { FastifyInstance } from "fastify";
import { HOUSEKEEPING_QUEUE } from "../../queue/housekeeping-job.js";
import { lostConnection } from "../../queue/lost-connection.js";
import { withTimeout } from "../../with-timeout.js";
import type { HttpDeps } from "../http-deps.js";

const PROBE_TIMEOUT_MS = 2_000;

type Probe = { ok: true } | { ok: false; error: string };

/**
 * `GET /readyz`: 200 when Redis and Postgres both answer, else 503; the body names each and,
 * for one that is down, why: `{ready, redis: {ok, error?}, postgres: {ok, error?}}`.
 */
export async function readyzRoute(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.get("/readyz", async (_request, reply) => {
    const [redis, postgres] = await Promise.all([
      probe(() => pingRedis(deps), "redis"),
      probe(() => deps.db.$queryRaw`SELECT 1`, "postgres"),
    ]);
    const ready = redis.ok && postgres.ok;
    return reply.code(ready ? 200 : 503).send({ ready, redis, postgres });
  });
}

async function pingRedis(deps: HttpDeps): Promise<unknown> {
  // The shared queue: this machine's host may have no queue of its own (an HTTP-only server).
  const queue = deps.queues.named(HOUSEKEEPING_QUEUE);
  const lost = lostConnection(queue);
  if (lost) throw new Error(lost);
  return queue.getJobCounts("waiting");
}

async function probe(check: () => Promise<unknown>, what: string): Promise<Probe> {
  try {
    await withTimeout(check(), PROBE_TIMEOUT_MS, what);
    return { ok: true };
  } catch (error) {
    // One line of what went wrong: enough to act on, never a connection string's detail.
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: message.trim().split("\n").at(-1)!.trim().slice(0, 200) };
  }
}
