import { loadConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { redisAddress } from "../../src/queue/redis.js";
import { workerSecrets } from "../../src/secrets/worker-secrets.js";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("Redis settings", () => {
  it("is one server by default, from REDIS_URL", () => {
    const config = loadConfig({ REDIS_URL: "redis://:pw@redis.internal:6380/2" });
    expect(config.redis).toEqual({ mode: "single", url: "redis://:pw@redis.internal:6380/2" });
    expect(config.queuePrefix).toBe("coduck");
    expect(redisAddress(config.redis)).toBe("redis.internal:6380");
  });

  it("reads Sentinels and the primary's name; REDIS_URL gives the credentials", () => {
    const config = loadConfig({
      REDIS_SENTINELS: "10.0.0.1:26379, sentinel-2.internal:26380,[fd00::3]:26379",
      REDIS_SENTINEL_NAME: "coduck",
      REDIS_SENTINEL_PASSWORD: "sentinel-secret",
      REDIS_URL: "rediss://:primary-secret@ignored:6379/1",
    });
    expect(config.redis).toEqual({
      mode: "sentinel",
      url: "rediss://:primary-secret@ignored:6379/1",
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "sentinel-2.internal", port: 26380 },
        { host: "fd00::3", port: 26379 },
      ],
      name: "coduck",
      sentinelPassword: "sentinel-secret",
    });
    expect(config.queuePrefix).toBe("coduck");
    expect(redisAddress(config.redis)).toBe(
      "primary coduck of Sentinels 10.0.0.1:26379,sentinel-2.internal:26380,fd00::3:26379",
    );
    // Both passwords are kept out of stored log lines.
    expect(workerSecrets(config)).toEqual(
      expect.arrayContaining(["primary-secret", "sentinel-secret"]),
    );
  });

  it("reads a Cluster's nodes and puts the queues under the hash tag {QUEUE_PREFIX}", () => {
    const config = loadConfig({
      REDIS_CLUSTER_NODES: "10.0.0.1:6379,10.0.0.2:6379",
      QUEUE_PREFIX: "prod",
    });
    expect(config.redis).toEqual({
      mode: "cluster",
      url: "redis://127.0.0.1:6379",
      nodes: [
        { host: "10.0.0.1", port: 6379 },
        { host: "10.0.0.2", port: 6379 },
      ],
    });
    expect(config.queuePrefix).toBe("{prod}");
  });

  it("names what is wrong, and never echoes a value", () => {
    expect(problems({ REDIS_SENTINELS: "10.0.0.1:26379" })).toEqual([
      "REDIS_SENTINEL_NAME: required with REDIS_SENTINELS: the name the Sentinels monitor the primary under (sentinel monitor <name> …)",
    ]);
    expect(
      problems({
        REDIS_SENTINELS: "10.0.0.1:26379",
        REDIS_SENTINEL_NAME: "coduck",
        REDIS_CLUSTER_NODES: "10.0.0.1:6379",
      }),
    ).toEqual([
      "REDIS_CLUSTER_NODES: set either REDIS_SENTINELS (a primary that Sentinels watch) or REDIS_CLUSTER_NODES (a Redis Cluster), not both",
    ]);
    expect(problems({ REDIS_SENTINEL_NAME: "coduck" })).toEqual([
      "REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS, which is not set: list the Sentinels there (host:port,…)",
    ]);
    for (const list of ["10.0.0.1", "10.0.0.1:6379,", "a:0", "a:70000", "redis://a:1", "a b:1"])
      expect(problems({ REDIS_CLUSTER_NODES: list })).toEqual([
        "REDIS_CLUSTER_NODES: expected a comma-separated list of host:port, for example 10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379",
      ]);
    expect(
      problems({ REDIS_CLUSTER_NODES: "10.0.0.1:6379", REDIS_URL: "redis://:pw@x:6379/3" }),
    ).toEqual(["REDIS_URL: a Redis Cluster has database 0 only; REDIS_URL names database 3"]);
    expect(problems({ REDIS_URL: "redis://x:6379/zero" })).toEqual([
      "REDIS_URL: expected a database number as the URL's path (redis://host:6379/0)",
    ]);
    const withPassword = problems({
      REDIS_SENTINELS: "hunter2-not-a-node",
      REDIS_SENTINEL_NAME: "x",
    });
    expect(withPassword.join("\n")).not.toContain("hunter2");
  });
});
