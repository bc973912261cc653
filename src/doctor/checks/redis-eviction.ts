import { type Check, fail, ok } from "../check.js";

/** A Redis that evicts keys under memory pressure silently drops queued jobs and their locks. */
export const redisEviction: Check = {
  name: "redis-eviction",
  async run(ctx) {
    const info = await ctx.redisInfo().catch(() => null);
    if (!info) return fail("not checked: Redis cannot be reached", "see redis-version");
    const policy = info.get("maxmemory_policy") ?? "unknown";
    if (policy === "noeviction") return ok("maxmemory-policy noeviction");
    return fail(
      `maxmemory-policy is ${policy}: under memory pressure Redis deletes keys, queued deploys and job locks among them`,
      "set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction and CONFIG REWRITE)",
    );
  },
};
