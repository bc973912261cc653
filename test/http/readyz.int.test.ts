import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { loadConfig } from "../../src/config.js";
import { buildApp } from "../../src/http/build-app.js";
import { HostQueues } from "../../src/queue/host-queues.js";
import { connectRedis, type RedisConnection } from "../../src/queue/redis.js";
import { freePort } from "../../src/releases/free-port.js";
import { connectDb, type Db } from "../../src/store/prisma.js";
import { createTestDatabase } from "../helpers/databases.js";
import { type PrivateRedis, startPrivateRedis } from "../helpers/private-redis.js";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.js";

const quiet = pino({ level: "silent" });
const config = loadConfig({});

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let redisServer: PrivateRedis;
let redis: RedisConnection;

beforeAll(async () => {
  database = await createTestDatabase();
  db = connectDb(database.url);
  redisServer = await startPrivateRedis();
  redis = connectRedis(redisServer.url);
});
afterAll(async () => {
  redis?.disconnect();
  await redisServer?.stop();
  await db?.$disconnect();
  await database?.drop();
});

async function appOn(database: Db) {
  // Redis going away is what this test does (HostQueues' handles ignore their errors).
  const queues = new HostQueues(redis, "readyz");
  return buildApp({ db: database, queues, logger: quiet, config });
}

describe("GET /readyz", () => {
  it("answers 200 while Redis and Postgres answer, and 503 naming Redis once it is down", async () => {
    const app = await appOn(db);
    try {
      const up = await app.inject({ method: "GET", url: "/readyz" });
      expect(up.statusCode).toBe(200);
      expect(up.json()).toEqual({ ready: true, redis: { ok: true }, postgres: { ok: true } });

      await redisServer.stop();
      for (let i = 0; i < 100 && redis.status === "ready"; i++) await sleep(20);
      const down = await app.inject({ method: "GET", url: "/readyz" });
      expect(down.statusCode).toBe(503);
      const body = down.json();
      expect(body).toMatchObject({ ready: false, redis: { ok: false }, postgres: { ok: true } });
      expect(body.redis.error).toMatch(/connection is (reconnecting|close|end)|no answer/);

      // /metrics still answers from Postgres, and says the queue counts are missing.
      const metrics = await app.inject({ method: "GET", url: "/metrics" });
      expect(metrics.statusCode).toBe(200);
      const samples = parsePrometheusText(metrics.body);
      expect(sampleValue(samples, "coduck_queue_up")).toBe(0);
      expect(sampleValue(samples, "coduck_deployments", { status: "queued" })).toBe(0);
    } finally {
      await app.close();
    }
  });

  it("answers 503 naming Postgres when the worker's database does not answer", async () => {
    const closed = connectDb(`postgresql://postgres@127.0.0.1:${await freePort()}/nothing`);
    const app = await appOn(closed);
    try {
      const response = await app.inject({ method: "GET", url: "/readyz" });
      expect(response.statusCode).toBe(503);
      const body = response.json();
      expect(body).toMatchObject({ ready: false, postgres: { ok: false } });
      expect(body.postgres.error).toMatch(/Can't reach database server/);
    } finally {
      await app.close();
      await closed.$disconnect();
    }
  });
});
