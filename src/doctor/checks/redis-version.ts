import { type Check, fail, ok, warn } from "../check.js";
import { redisAddress } from "../doctor-context.js";

/** BullMQ needs Redis 5 at least and is only fully compatible from 6.2. */
export const redisVersion: Check = {
  name: "redis-version",
  async run(ctx) {
    const info = await ctx.redisInfo().catch((error: Error) => error);
    if (info instanceof Error) {
      return fail(
        `Redis at ${redisAddress(ctx.config)} cannot be reached: ${info.message}`,
        "start Redis, or set REDIS_URL to where it runs",
      );
    }
    const version = info.get("redis_version") ?? "unknown";
    const [major = 0, minor = 0] = version.split(".").map(Number);
    if (major < 5)
      return fail(`Redis ${version}: BullMQ needs 5.0 or newer`, "upgrade Redis to 7.x");
    if (major === 5 || (major === 6 && minor < 2))
      return warn(`Redis ${version}: BullMQ is fully compatible from 6.2`, "upgrade Redis to 7.x");
    return ok(`Redis ${version} at ${redisAddress(ctx.config)}`);
  },
};
