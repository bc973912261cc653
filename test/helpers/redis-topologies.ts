import { writeFile } from "node:fs/promises";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { Redis } from "ioredis";
import { freePort } from "../../src/releases/free-port.js";
import { tempDir } from "./temp-dir.js";
import { waitFor } from "./wait-for.js";

/** One redis-server (or sentinel) of a test's own, on the loopback. */
export type RedisProcess = { port: number; stop(): Promise<void> };

/** A primary, its replica and one Sentinel watching them, as group `name`. */
export type RedisSentinelSetup = {
  name: string;
  sentinelPort: number;
  primary: RedisProcess;
  replica: RedisProcess;
  /** The port Sentinel names as the group's primary now. */
  currentPrimaryPort(): Promise<number>;
  stop(): Promise<void>;
};

/** Three primaries (no replicas) sharing the 16384 slots. */
export type RedisClusterSetup = { nodes: RedisProcess[]; stop(): Promise<void> };

/** Starts a redis-server on a free port in its own directory, with `settings`. */
async function startRedisProcess(settings: string[]): Promise<RedisProcess> {
  const port = await freePort();
  const dir = await tempDir("coduck-redis-topology-");
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...settings];
  let server: ResultPromise | null = execa("redis-server", args, {
    reject: false,
    stdio: "ignore",
  });
  await waitFor(`redis-server on port ${port}`, () => ping(port), 15_000);
  return {
    port,
    async stop() {
      server?.kill("SIGKILL");
      await server;
      server = null;
    },
  };
}

const NO_PERSISTENCE = ["--save", "", "--appendonly", "no"];

/**
 * A Sentinel setup: a primary, a replica of it, and one Sentinel (quorum 1) that declares the
 * primary down after a second, so a test can kill the primary and see the replica promoted.
 */
export async function startRedisSentinel(name = "coduck"): Promise<RedisSentinelSetup> {
  const primary = await startRedisProcess(NO_PERSISTENCE);
  const replica = await startRedisProcess([
    ...NO_PERSISTENCE,
    "--replicaof",
    "127.0.0.1",
    String(primary.port),
  ]);
  await waitFor(
    "the replica to sync",
    () => info(replica.port).then((i) => i.get("master_link_status") === "up"),
    15_000,
  );
  const sentinelProcess = await startSentinel(name, primary.port);
  await waitFor(
    "Sentinel to see the replica",
    async () => (await sentinelCommand(sentinelProcess.port, "replicas", name)).length > 0,
    15_000,
  );
  return {
    name,
    sentinelPort: sentinelProcess.port,
    primary,
    replica,
    async currentPrimaryPort() {
      const client = new Redis({ port: sentinelProcess.port, host: "127.0.0.1" });
      try {
        const reply = (await client.call("SENTINEL", "get-master-addr-by-name", name)) as string[];
        return Number(reply[1]);
      } finally {
        client.disconnect();
      }
    },
    async stop() {
      await sentinelProcess.stop();
      await replica.stop();
      await primary.stop();
    },
  };
}

/** A Sentinel (quorum 1) watching `primaryPort` as `name`; it rewrites its own config file. */
async function startSentinel(name: string, primaryPort: number): Promise<RedisProcess> {
  const port = await freePort();
  const dir = await tempDir("coduck-redis-sentinel-");
  const file = path.join(dir, "sentinel.conf");
  await writeFile(
    file,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 10000`,
      `sentinel parallel-syncs ${name} 1`,
      "",
    ].join("\n"),
  );
  let server: ResultPromise | null = execa("redis-server", [file, "--sentinel"], {
    reject: false,
    stdio: "ignore",
  });
  await waitFor(`redis-sentinel on port ${port}`, () => ping(port), 15_000);
  return {
    port,
    async stop() {
      server?.kill("SIGKILL");
      await server;
      server = null;
    },
  };
}

async function sentinelCommand(port: number, ...args: string[]): Promise<unknown[]> {
  const client = new Redis({ port, host: "127.0.0.1" });
  try {
    return (await client.call("SENTINEL", ...args)) as unknown[];
  } finally {
    client.disconnect();
  }
}

/** A Redis Cluster of three primaries on free ports, created with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisClusterSetup> {
  const nodes: RedisProcess[] = [];
  const stop = async () => {
    for (const node of nodes.splice(0)) await node.stop();
  };
  try {
    for (let i = 0; i < 3; i++)
      nodes.push(
        await startRedisProcess([
          ...NO_PERSISTENCE,
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          "nodes.conf",
          "--cluster-node-timeout",
          "2000",
        ]),
      );
    await execa("redis-cli", [
      "--cluster",
      "create",
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const node of nodes)
      await waitFor(
        `cluster_state:ok on node ${node.port}`,
        () => clusterInfo(node.port).then((i) => i.get("cluster_state") === "ok"),
        30_000,
      );
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, stop };
}

async function clusterInfo(port: number): Promise<Map<string, string>> {
  const client = new Redis({ port, host: "127.0.0.1" });
  try {
    return parseInfo((await client.call("CLUSTER", "INFO")) as string);
  } finally {
    client.disconnect();
  }
}

async function info(port: number): Promise<Map<string, string>> {
  const client = new Redis({ port, host: "127.0.0.1" });
  try {
    return parseInfo(await client.info());
  } finally {
    client.disconnect();
  }
}

function parseInfo(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(":");
    if (at > 0) entries.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return entries;
}

async function ping(port: number): Promise<boolean> {
  const client = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
