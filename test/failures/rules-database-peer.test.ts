import { classifyLines } from "./classify-helper.js";

// A connection errno is the database's only where a database client failed: the same errno
// from fetch() or a Redis client is another peer's. Lines are from captured failures.
describe("an unreachable peer", () => {
  it("is not the database when a Redis client could not connect", async () => {
    const result = await classifyLines("start", 1, [
      "node:internal/modules/run_main:123",
      "    triggerUncaughtException(",
      "    ^",
      "",
      "Error: connect ECONNREFUSED 127.0.0.1:6390",
      "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)",
      "Emitted 'error' event on Commander instance at:",
      "    at RedisSocket.<anonymous> (/app/node_modules/@redis/client/dist/lib/client/index.js:422:14)",
      "  code: 'ECONNREFUSED',",
    ]);
    expect(result.code).toBe("START_CRASHED");
    expect(result.retryable).toBe(false);
  });

  it("is not the database when fetch() could not resolve an API's host", async () => {
    const result = await classifyLines("start", 1, [
      "TypeError: fetch failed",
      "    at node:internal/deps/undici/undici:14976:13",
      "    at async file:///app/server.js:6:15 {",
      "  [cause]: Error: getaddrinfo ENOTFOUND api.rates-provider.example",
      "      at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26) {",
      "    code: 'ENOTFOUND',",
    ]);
    expect(result.code).toBe("START_CRASHED");
  });

  it("is the database when the line names a Postgres or PgBouncer port, or a driver failed", async () => {
    const script = await classifyLines("schema", 2, [
      "> orders-api@0.9.2 migrate",
      "> node scripts/migrate.js",
      "migrate: connecting to localhost:5433",
      "migrate: fatal Error: connect ECONNREFUSED 127.0.0.1:5433",
      "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16) {",
      "  code: 'ECONNREFUSED',",
    ]);
    expect(script.code).toBe("DATABASE_UNREACHABLE");
  });
});

describe("a migration tool that fails without an error", () => {
  it("is MIGRATION_FAILED, shown by what it was applying", async () => {
    const result = await classifyLines("schema", 1, [
      "No config path provided, using default 'drizzle.config.js'",
      "Reading config file '/app/drizzle.config.js'",
      "Using 'pg' driver for database querying",
      "[⣷] applying migrations...\x1b[2K\x1b[1G[⣷] applying migrations...",
    ]);
    expect(result.code).toBe("MIGRATION_FAILED");
    expect(result.variant).toBe("drizzle");
    expect(result.evidence[0]?.text).toMatch(/applying migrations/);
  });

  it("is nothing decisive outside the schema step", async () => {
    const result = await classifyLines("build", 1, [
      "[⣷] applying migrations...\x1b[2K\x1b[1G[⣷] applying migrations...",
    ]);
    expect(result.code).toBe("UNKNOWN");
  });
});

describe("a migration tool that refuses to run", () => {
  it("is MIGRATION_FAILED with knex's fix when knex's migration table is locked", async () => {
    const result = await classifyLines("schema", 1, [
      "> running migrations",
      "Can't take lock to run migrations: Migration table is already locked",
      "If you are sure migrations are not running you can release the lock manually by running 'knex migrate:unlock'",
      "MigrationLocked: Migration table is already locked",
      "    at /app/node_modules/knex/lib/migrations/migrate/Migrator.js:473:13",
    ]);
    expect(result.code).toBe("MIGRATION_FAILED");
    expect(result.variant).toBe("knex");
    expect(result.hint).toMatch(/knex migrate:unlock/);
  });
});
