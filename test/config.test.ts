import { defaultHostId, loadConfig } from "../src/config.js";
import { ConfigError } from "../src/errors.js";

describe("loadConfig", () => {
  it("defaults to the local Redis and Postgres", () => {
    const config = loadConfig({});
    expect(config.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(config.databaseUrl).toBe("postgresql://postgres@127.0.0.1:5432/coduck_worker");
    expect(config.concurrency).toBe(2);
    expect(config.logLevel).toBe("info");
    expect(config.stepSpoolBytes).toBe(256 * 1024 * 1024);
  });

  it("reads the variables it is given", () => {
    const config = loadConfig({
      REDIS_URL: "redis://redis.internal:6380",
      WORKER_CONCURRENCY: "8",
      DATA_DIR: "relative/data",
      STEP_TIMEOUT_SECONDS: "90",
      STEP_SPOOL_MB: "0",
    });
    expect(config.redisUrl).toBe("redis://redis.internal:6380");
    expect(config.concurrency).toBe(8);
    expect(config.dataDir).toBe(`${process.cwd()}/relative/data`);
    expect(config.stepTimeoutMs).toBe(90_000);
    expect(config.stepSpoolBytes).toBe(0);
  });

  it("names this worker's host: HOST_ID (default: the hostname made an id), its address and capacity", () => {
    expect(defaultHostId("Web-1.example.com")).toBe("web-1");
    expect(defaultHostId("_odd_Name")).toBe("odd-name");
    expect(defaultHostId("")).toBe("host");
    expect(loadConfig({ APPS_HTTP_PORT: "9090" }).host).toMatchObject({
      address: "127.0.0.1:9090",
      downAfterMs: 30_000,
      maxProjects: 500,
    });
    expect(
      loadConfig({
        HOST_ID: "h2",
        HOST_ADDRESS: "10.0.0.12:8080",
        HOST_DOWN_AFTER_SECONDS: "60",
        HOST_MAX_PROJECTS: "40",
      }).host,
    ).toEqual({ id: "h2", address: "10.0.0.12:8080", downAfterMs: 60_000, maxProjects: 40 });
    expect(() => loadConfig({ HOST_ID: "H2:x" })).toThrow(
      "HOST_ID: expected 1 to 63 lowercase letters, digits or '-', starting with a letter or digit (for example web-2)",
    );
    expect(() => loadConfig({ HOST_ADDRESS: "10.0.0.12" })).toThrow(
      "HOST_ADDRESS: expected host:port, for example 10.0.0.12:8080",
    );
  });

  it("names every bad variable and what it expected, in one error", () => {
    const error = catchConfigError({
      REDIS_URL: "localhost",
      WORKER_CONCURRENCY: "lots",
      LOG_LEVEL: "loud",
      QUEUE_PREFIX: "has:colon",
    });
    expect(error.problems).toEqual([
      expect.stringMatching(/^REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/),
      "WORKER_CONCURRENCY: expected a whole number from 1 to 64",
      expect.stringMatching(/^LOG_LEVEL: expected one of fatal, error, warn, info/),
      expect.stringMatching(/^QUEUE_PREFIX: .*no ':'/),
    ]);
  });

  it("rejects out-of-range numbers", () => {
    expect(catchConfigError({ WORKER_CONCURRENCY: "0" }).problems).toEqual([
      "WORKER_CONCURRENCY: expected a whole number from 1 to 64",
    ]);
    expect(catchConfigError({ WORKER_CONCURRENCY: "2.5" }).problems).toHaveLength(1);
    expect(catchConfigError({ STEP_SPOOL_MB: "-1" }).problems).toEqual([
      "STEP_SPOOL_MB: expected a whole number from 0 to 65536",
    ]);
  });

  it("never echoes a bad value, which may hold a password", () => {
    const error = catchConfigError({ DATABASE_URL: "mysql://root:hunter2@db/x" });
    expect(error.message).not.toContain("hunter2");
    expect(error.problems).toEqual([
      expect.stringMatching(/^DATABASE_URL: expected a postgres:\/\//),
    ]);
  });
});

function catchConfigError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}
