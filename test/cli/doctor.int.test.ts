import os from "node:os";
import { Redis } from "ioredis";
import pg from "pg";
import { ensureProjectDatabase } from "../../src/provisioning/provision-project.js";
import { freePort } from "../../src/releases/free-port.js";
import { type PrivateRedis, startPrivateRedis } from "../helpers/private-redis.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

type Line = { check: string; status: "ok" | "warn" | "fail"; message: string; fix?: string };

let stack: TestStack;
const redises: PrivateRedis[] = [];

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
});
afterAll(async () => {
  for (const redis of redises) await redis.stop();
  await stack?.close();
});

async function privateRedis(settings: string[]) {
  const redis = await startPrivateRedis(settings);
  redises.push(redis);
  return redis;
}

async function doctorJson(env: Record<string, string>) {
  const run = await cli(["doctor", "--json"], { ...stack.env, ...env });
  expect(run.stderr).toBe("");
  const lines: Line[] = JSON.parse(run.stdout);
  const byCheck = Object.fromEntries(lines.map((line) => [line.check, line]));
  return { exitCode: run.exitCode, lines, byCheck };
}

describe("coduck-worker doctor", () => {
  it("fails naming maxmemory-policy when Redis may evict, and says what to set", async () => {
    const redis = await privateRedis(["--maxmemory-policy", "allkeys-lru"]);
    const run = await cli(["doctor"], { ...stack.env, REDIS_URL: redis.url });
    expect(run.exitCode).toBe(1);
    const lines = run.stdout.split("\n").filter(Boolean);
    const eviction = lines.find((line) => line.includes("redis-eviction"));
    expect(eviction).toMatch(
      /^fail +redis-eviction +maxmemory-policy is allkeys-lru: .*noeviction/,
    );
    // AOF off warns, and says the reconciler queues deploys again.
    expect(lines.find((line) => line.includes("redis-aof"))).toMatch(/^warn .*reconciler/);
    // The shared Postgres: reachable, migrated, admin a superuser.
    expect(lines.find((line) => line.includes(" postgres "))).toMatch(
      /^ok +postgres +worker database .* all \d+ migrations applied$/,
    );
    expect(lines.find((line) => line.includes("admin-role"))).toMatch(/^ok .*superuser/);
  });

  it("passes with a well-configured Redis and logs in through PgBouncer as a project's role", async () => {
    const redis = await privateRedis(["--maxmemory-policy", "noeviction", "--appendonly", "yes"]);
    await ensureProjectDatabase(
      { db: stack.db, config: stack.config, keyring: stack.keyring },
      "doctor-app",
    );
    const { exitCode, lines, byCheck } = await doctorJson({ REDIS_URL: redis.url });
    expect(lines.filter((line) => line.status === "fail")).toEqual([]);
    expect(exitCode).toBe(0);
    expect(lines.map((line) => line.check)).toEqual([
      "redis-version",
      "redis-auth",
      "redis-eviction",
      "redis-aof",
      "postgres",
      "hosts",
      "admin-role",
      "connect",
      "pg-hba",
      "pgbouncer",
      "pgbouncer-mode",
      "disk",
      "hardlinks",
      "sandbox",
      "network-isolation",
      "webhook-secrets",
    ]);
    expect(byCheck["redis-aof"]).toMatchObject({ status: "ok" });
    // A Redis without a password on loopback is a warning, which doctor passes with.
    expect(byCheck["redis-auth"]).toMatchObject({ status: "warn" });
    expect(byCheck.pgbouncer).toMatchObject({ status: "ok" });
    expect(byCheck.pgbouncer!.message).toContain("as project doctor-app's role");

    // The app drops its public schema, and with it PgBouncer's lookup function.
    const database = await stack.db.projectDatabase.findFirstOrThrow({
      where: { project: { slug: "doctor-app" } },
    });
    const url = new URL(stack.config.adminDatabaseUrl);
    url.pathname = `/${database.databaseName}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.query("DROP SCHEMA public CASCADE");
    await client.end();
    const broken = await doctorJson({ REDIS_URL: redis.url });
    expect(broken.exitCode).toBe(1);
    expect(broken.byCheck.pgbouncer).toMatchObject({ status: "fail" });
    expect(broken.byCheck.pgbouncer!.fix).toContain("coduck-worker db repair --project doctor-app");
  });

  it("warns when Redis takes commands without a password, fails when it is on the network, and is ok with one", async () => {
    // This machine's shared Redis, as the worker uses it: no password, on loopback.
    const local = await cli(["doctor"], stack.env);
    const line = local.stdout.split("\n").find((l) => l.includes("redis-auth"));
    expect(line).toMatch(
      /^warn +redis-auth +Redis at 127\.0\.0\.1:6379 runs commands without a password: any process on this host .* → give Redis a password .*REDIS_URL/,
    );

    // The same, reachable on a network address: anything on that network can forge jobs.
    const address = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a?.family === "IPv4" && !a.internal)?.address;
    if (address) {
      const exposed = await privateRedis([
        "--bind",
        "127.0.0.1",
        address,
        "--protected-mode",
        "no",
      ]);
      const network = await doctorJson({ REDIS_URL: `redis://${address}:${exposed.port}` });
      expect(network.exitCode).toBe(1);
      expect(network.byCheck["redis-auth"]).toMatchObject({ status: "fail" });
      expect(network.byCheck["redis-auth"]!.message).toContain("on a network address");
    }

    // With requirepass, and the password in REDIS_URL: ok, and the password is never printed.
    const guarded = await privateRedis([]);
    const admin = new Redis(guarded.url);
    await admin.config("SET", "requirepass", "doctor-redis-password-0123");
    admin.disconnect();
    const withPassword = await doctorJson({
      REDIS_URL: `redis://:doctor-redis-password-0123@127.0.0.1:${guarded.port}`,
    });
    expect(withPassword.byCheck["redis-auth"]).toMatchObject({
      status: "ok",
      message: `Redis at 127.0.0.1:${guarded.port} refuses commands without credentials`,
    });
    expect(JSON.stringify(withPassword.lines)).not.toContain("doctor-redis-password-0123");
  });

  it("fails when Redis or PgBouncer cannot be reached, and never prints a stack", async () => {
    const closed = await freePort();
    const { exitCode, byCheck } = await doctorJson({
      REDIS_URL: `redis://127.0.0.1:${closed}`,
      PGBOUNCER_PORT: String(closed),
    });
    expect(exitCode).toBe(1);
    expect(byCheck["redis-version"]).toMatchObject({ status: "fail" });
    expect(byCheck["redis-version"]!.message).toContain(`127.0.0.1:${closed} cannot be reached`);
    expect(byCheck["redis-eviction"]).toMatchObject({ status: "fail" });
    expect(byCheck.pgbouncer).toMatchObject({ status: "fail" });
    expect(byCheck.pgbouncer!.message).toContain("ECONNREFUSED");
    expect(byCheck.postgres).toMatchObject({ status: "ok" });
  });
});
