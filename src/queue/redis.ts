import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Config } from "../config.js";

/**
 * Where the queues' Redis is (config.ts, from REDIS_URL, REDIS_SENTINELS and
 * REDIS_CLUSTER_NODES): one server, the primary a set of Sentinels names, or a Redis Cluster.
 * A bare URL string is one server (tests' own redis-servers).
 */
export type RedisTarget = Config["redis"] | string;

/** What BullMQ and the worker's own reads take: ioredis' client for one server or a Cluster. */
export type RedisConnection = Redis | Cluster;

/** A Redis connection fit for BullMQ workers: blocking commands never give up retrying. */
export function connectRedis(target: RedisTarget): RedisConnection {
  return open(target, { maxRetriesPerRequest: null });
}

/**
 * A connection for a command that ends (the CLI): like connectRedis, but closing it never
 * holds the process. A command that did not use Redis can close it while ioredis is still in
 * its handshake (status `connect`); ioredis then ends the socket without reading it to its
 * end, and only destroys it after `disconnectTimeout` (2 s by default): the 2 s stall on exit
 * of issue 25. Here the socket is destroyed 20 ms after it was ended; every reply the command
 * waited for has already arrived by then.
 */
export function connectRedisForCommand(target: RedisTarget): RedisConnection {
  return open(target, { maxRetriesPerRequest: null, disconnectTimeout: 20 });
}

/**
 * A command's connection that only enqueues and ends (`deploy` without --wait): like
 * connectRedisForCommand, without the round trips made before its first command, which are a
 * CLI's critical path: ioredis' CLIENT SETINFO pair and its ready check (INFO), and BullMQ's
 * version check (INFO again: `skipVersionCheck`, which BullMQ reads from the connection's
 * options). With Sentinels the ready check stays: it is how ioredis checks that the server the
 * Sentinels named is the primary. The worker's connections keep all of them (the version check
 * warns it of a Redis too old or that evicts keys).
 */
export function connectRedisToEnqueue(target: RedisTarget): RedisConnection {
  const sentinel = typeof target !== "string" && target.mode === "sentinel";
  const options: RedisOptions & { skipVersionCheck: boolean } = {
    maxRetriesPerRequest: null,
    disconnectTimeout: 20,
    disableClientInfo: true,
    enableReadyCheck: sentinel,
    skipVersionCheck: true,
  };
  return open(target, options);
}

/**
 * A short-lived probe connection (doctor, readiness): connects on first use, never queues a
 * command while disconnected, never retries; errors are the caller's to read.
 */
export function connectRedisProbe(
  target: RedisTarget,
  timeoutMs: number,
  extra: RedisOptions = {},
): RedisConnection {
  const options: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    ...extra,
  };
  const resolved = typeof target === "string" ? { mode: "single" as const, url: target } : target;
  if (resolved.mode !== "cluster") return open(resolved, options);
  return new Cluster(resolved.nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: () => null,
    redisOptions: { ...credentials(resolved.url), ...options },
  });
}

/** host:port (or the Sentinels' or the Cluster's seed nodes), without credentials, for messages. */
export function redisAddress(target: RedisTarget): string {
  if (typeof target === "string" || target.mode === "single") {
    const url = new URL(typeof target === "string" ? target : target.url);
    return `${url.hostname}:${url.port || 6379}`;
  }
  if (target.mode === "sentinel")
    return `primary ${target.name} of Sentinels ${joinNodes(target.sentinels)}`;
  return `Redis Cluster ${joinNodes(target.nodes)}`;
}

function joinNodes(nodes: { host: string; port: number }[]): string {
  return nodes.map((node) => `${node.host}:${node.port}`).join(",");
}

function open(target: RedisTarget, options: RedisOptions): RedisConnection {
  if (typeof target === "string") return new Redis(target, options);
  switch (target.mode) {
    case "single":
      return new Redis(target.url, options);
    case "sentinel":
      // The primary's credentials, database and TLS come from REDIS_URL; the Sentinels have
      // their own password, if any. ioredis asks them for the primary and follows a failover.
      return new Redis({
        ...credentials(target.url),
        ...database(target.url),
        sentinels: target.sentinels,
        name: target.name,
        sentinelPassword: target.sentinelPassword,
        ...(isTls(target.url) ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
        ...options,
      });
    case "cluster":
      // BullMQ reads maxRetriesPerRequest from redisOptions; every node shares the credentials.
      return new Cluster(target.nodes, {
        redisOptions: { ...credentials(target.url), ...options },
      });
  }
}

/** REDIS_URL's user, password and TLS (rediss:), for the servers that hold the data. */
function credentials(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(isTls(url) ? { tls: {} } : {}),
  };
}

/** REDIS_URL's database number (`/2`), which a Cluster does not have (config.ts refuses it). */
function database(url: string): RedisOptions {
  const db = new URL(url).pathname.replace(/^\//, "");
  return db === "" ? {} : { db: Number(db) };
}

function isTls(url: string): boolean {
  return new URL(url).protocol === "rediss:";
}
