import net from "node:net";
import type { Config } from "../../config.js";
import { connectRedisProbe } from "../../queue/redis.js";
import { withTimeout } from "../../with-timeout.js";
import { type Check, fail, ok, warn } from "../check.js";
import { redisAddress } from "../doctor-context.js";

const PROBE_TIMEOUT_MS = 3_000;

const FIX =
  "give Redis a password (requirepass in redis.conf, or an ACL user with `user default off`) and put it in REDIS_URL: redis://:PASSWORD@host:6379 (or redis://USER:PASSWORD@host:6379)";

/**
 * Whether the queue's Redis runs commands for a client that sends no credentials. Whoever can
 * do that can queue, rewrite or delete deploy jobs. It fails when REDIS_URL's host is not a
 * loopback address (any machine that reaches that network can); on loopback it warns: only this
 * host's processes reach it, and the sandbox's network isolation keeps app code off the host's
 * loopback, but other local users and anything unsandboxed (SANDBOX=off) still can.
 */
export const redisAuth: Check = {
  name: "redis-auth",
  async run(ctx) {
    const reached = await ctx.redisInfo().then(
      () => true,
      () => false,
    );
    if (!reached) return fail("not checked: Redis cannot be reached", "see redis-version");
    const address = redisAddress(ctx.config);
    const open = await runsWithoutCredentials(ctx.config).catch((error: Error) => error);
    if (open instanceof Error)
      return warn(`could not ask Redis at ${address} without credentials: ${open.message}`, FIX);
    if (!open) return ok(`Redis at ${address} refuses commands without credentials`);
    const message = `Redis at ${address} runs commands without a password`;
    if (!redisHosts(ctx.config).every(isLoopback)) {
      return fail(
        `${message}, on a network address: anything that reaches ${address} can queue, change or delete deploy jobs`,
        FIX,
      );
    }
    const unsandboxed =
      ctx.config.sandbox === "off"
        ? "; with SANDBOX=off app code runs on this host's network and reaches it too"
        : "; sandboxed app code has its own network and cannot reach it";
    return warn(
      `${message}: any process on this host (other users, services) can queue, change or delete deploy jobs${unsandboxed}`,
      FIX,
    );
  },
};

/**
 * Asks REDIS_URL's server, as a client that sends no user or password, whether a key exists.
 * true: it answered; false: it refused (NOAUTH, or an ACL that gives the default user no keys).
 */
async function runsWithoutCredentials(config: Pick<Config, "redis">): Promise<boolean> {
  const url = new URL(config.redis.url);
  url.username = "";
  url.password = "";
  // The same servers (a Sentinel's primary, a Cluster's nodes), without REDIS_URL's credentials.
  const redis = connectRedisProbe({ ...config.redis, url: url.toString() }, PROBE_TIMEOUT_MS, {
    // Its INFO would be refused first, and say so in other words.
    enableReadyCheck: false,
  });
  redis.on("error", () => {});
  try {
    await withTimeout(redis.connect(), PROBE_TIMEOUT_MS, "connect");
    await withTimeout(redis.exists("coduck:doctor:redis-auth"), PROBE_TIMEOUT_MS, "EXISTS");
    return true;
  } catch (error) {
    if (/^(NOAUTH|NOPERM|WRONGPASS)\b/.test((error as Error).message)) return false;
    throw error;
  } finally {
    redis.disconnect();
  }
}

/** The hosts a client of REDIS_URL's servers connects to. */
function redisHosts(config: Pick<Config, "redis">): string[] {
  const redis = config.redis;
  if (redis.mode === "sentinel") return redis.sentinels.map((node) => node.host);
  if (redis.mode === "cluster") return redis.nodes.map((node) => node.host);
  return [new URL(redis.url).hostname];
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost") return true;
  if (net.isIPv4(host)) return host.startsWith("127.");
  return host === "::1";
}
