import { type Check, fail, ok, warn } from "../check.js";

/** Without AOF a Redis restart loses the queue; Postgres still has every deployment. */
export const redisPersistence: Check = {
  name: "redis-aof",
  async run(ctx) {
    const info = await ctx.redisInfo().catch(() => null);
    if (!info) return fail("not checked: Redis cannot be reached", "see redis-version");
    if (info.get("aof_enabled") === "1") return ok("append-only file on");
    return warn(
      "append-only file off: a Redis restart loses every queued job; the worker's reconciler queues again, within a minute, the deploys Postgres still holds as queued or running, so deploys survive, but jobs of other queues do not",
      "set appendonly yes (redis.conf, or CONFIG SET appendonly yes and CONFIG REWRITE)",
    );
  },
};
