import { jest } from "@jest/globals";
import { Queue } from "bullmq";
import { Cluster, Redis } from "ioredis";
import { createDoctorContext } from "../../src/doctor/doctor-context.js";
import { connectRedis } from "../../src/queue/redis.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import {
  type RedisClusterSetup,
  type RedisSentinelSetup,
  startRedisCluster,
  startRedisSentinel,
} from "../helpers/redis-topologies.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";

// Real deploys through the worker on Redis Sentinel and on a Redis Cluster, both started here
// from the installed redis-server on free ports (a failover takes a few seconds).
jest.setTimeout(240_000);

/** The keys of a redis-server (one node) under a prefix. */
async function keysOn(port: number, pattern: string): Promise<string[]> {
  const client = new Redis({ port, host: "127.0.0.1" });
  try {
    return await client.keys(pattern);
  } finally {
    client.disconnect();
  }
}

describe("Redis Sentinel", () => {
  let sentinel: RedisSentinelSetup;
  let stack: TestStack;

  beforeAll(async () => {
    sentinel = await startRedisSentinel("coduck-queues");
    stack = await createTestStack({
      REDIS_SENTINELS: `127.0.0.1:${sentinel.sentinelPort}`,
      REDIS_SENTINEL_NAME: sentinel.name,
      // Where it would go without Sentinel: nothing listens there.
      REDIS_URL: "redis://127.0.0.1:1",
    });
    await stack.startWorker();
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await sentinel?.stop();
  }, 60_000);

  it("deploys through the primary the Sentinels name, and again after a failover", async () => {
    expect(stack.config.redis).toMatchObject({ mode: "sentinel", name: "coduck-queues" });
    const repo = await fixtureRepo("node-http");
    const first = await stack.deploy({ project: "sentinel-app", repoUrl: repo.dir });
    expect((await stack.waitForEnd(first, 120_000)).status).toBe("succeeded");
    const prefix = `${stack.config.queuePrefix}:*`;
    expect(await keysOn(sentinel.primary.port, prefix)).not.toEqual([]);

    // The primary dies; the Sentinel promotes the replica; the worker's connections follow.
    await sentinel.primary.stop();
    await waitFor(
      "the Sentinel to promote the replica",
      async () => (await sentinel.currentPrimaryPort()) === sentinel.replica.port,
      60_000,
    );
    await repo.commit({ "after-failover.txt": "1" }, "after the failover");
    const second = await stack.deploy({ project: "sentinel-app", repoUrl: repo.dir });
    expect((await stack.waitForEnd(second, 120_000)).status).toBe("succeeded");
    expect(
      await keysOn(sentinel.replica.port, `${stack.config.queuePrefix}:*:${second}`),
    ).not.toEqual([]);
    // doctor asks the Sentinels too: it reads the promoted primary's INFO.
    const doctor = createDoctorContext(stack.config);
    try {
      const info = await doctor.redisInfo();
      expect([info.get("tcp_port"), info.get("role")]).toEqual([
        String(sentinel.replica.port),
        "master",
      ]);
    } finally {
      await doctor.close();
    }
  });
});

describe("Redis Cluster", () => {
  let cluster: RedisClusterSetup;
  let stack: TestStack;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    stack = await createTestStack({
      REDIS_CLUSTER_NODES: cluster.nodes.map((node) => `127.0.0.1:${node.port}`).join(","),
      REDIS_URL: "redis://127.0.0.1:1",
    });
    await stack.startWorker();
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await cluster?.stop();
  }, 60_000);

  it("prefixes the queues with a hash tag, without which BullMQ's scripts are refused", async () => {
    expect(stack.config.queuePrefix).toBe(`{${stack.env.QUEUE_PREFIX}}`);
    const connection = connectRedis(stack.config.redis);
    expect(connection).toBeInstanceOf(Cluster);
    const untagged = new Queue("deploys", { connection, prefix: stack.env.QUEUE_PREFIX });
    try {
      await expect(untagged.add("deploy", {})).rejects.toThrow(/CROSSSLOT/);
    } finally {
      await untagged.close();
      await connection.quit();
    }
  });

  it("deploys with the queues on the cluster", async () => {
    const repo = await fixtureRepo("node-http");
    const id = await stack.deploy({ project: "cluster-app", repoUrl: repo.dir });
    expect((await stack.waitForEnd(id, 120_000)).status).toBe("succeeded");
    // Every key of the queues is on one node: the one that holds the tag's slot.
    const keys = await Promise.all(
      cluster.nodes.map((node) => keysOn(node.port, `${stack.config.queuePrefix}:*`)),
    );
    expect(keys.filter((k) => k.length > 0)).toHaveLength(1);
    expect(keys.flat()).toEqual(expect.arrayContaining([expect.stringContaining(id)]));
    const doctor = createDoctorContext(stack.config);
    try {
      expect((await doctor.redisInfo()).get("cluster_enabled")).toBe("1");
    } finally {
      await doctor.close();
    }
  });
});
