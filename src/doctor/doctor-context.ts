import pg from "pg";
import type { Config } from "../config.js";
import {
  connectRedisProbe,
  redisAddress as describeRedis,
  type RedisConnection,
} from "../queue/redis.js";
import { withTimeout } from "../with-timeout.js";

const CONNECT_TIMEOUT_MS = 3_000;

/**
 * What the checks share: the configuration and connections opened on first use (each at most
 * once, so a Redis that is down is found down once), all closed by close().
 */
export type DoctorContext = {
  config: Config;
  /** Redis' INFO as key → value; rejects when Redis cannot be reached. */
  redisInfo(): Promise<Map<string, string>>;
  /** Runs `work` on a fresh connection to `url` (closed afterwards). */
  withPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

export function createDoctorContext(config: Config): DoctorContext {
  let redis: RedisConnection | undefined;
  let info: Promise<Map<string, string>> | undefined;
  return {
    config,
    redisInfo() {
      info ??= (async () => {
        // No retries: doctor wants to know that Redis is down, not to wait for it.
        redis = connectRedisProbe(config.redis, CONNECT_TIMEOUT_MS);
        redis.on("error", () => {}); // reported by the check that asked
        await withTimeout(redis.connect(), CONNECT_TIMEOUT_MS, `Redis at ${redisAddress(config)}`);
        return parseInfo(await redis.info());
      })();
      return info;
    },
    async withPostgres(url, work) {
      const client = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      });
      client.on("error", () => {});
      await client.connect();
      try {
        return await work(client);
      } finally {
        await client.end().catch(() => {});
      }
    },
    async close() {
      redis?.disconnect();
    },
  };
}

/** Where Redis is (REDIS_URL's host:port, or the Sentinels or Cluster nodes), without credentials. */
export function redisAddress(config: Pick<Config, "redis">): string {
  return describeRedis(config.redis);
}

function parseInfo(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(":");
    if (at > 0 && !line.startsWith("#")) entries.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return entries;
}
