import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { withTimeout } from "../../with-timeout.js";
import type { HttpDeps } from "../build-app.js";

const PROBE_TIMEOUT_MS = 2_000;
const LOST = new Set(["reconnecting", "close", "end"]);

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
  const connection = deps.queue.opts.connection;
  if (connection instanceof Redis) {
    // A connection that lost Redis would hold the PING until Redis is back: say so at once.
    if (LOST.has(connection.status)) throw new Error(`connection is ${connection.status}`);
    return connection.ping();
  }
  return deps.queue.getJobCounts("waiting");
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
