import { classifyLines } from "./classify-helper.js";

describe("postgres and pgbouncer evidence", () => {
  it("tells Postgres' own slot limit from PgBouncer's limits, with different fixes", async () => {
    const server = await classifyLines("start", 1, [
      "error: sorry, too many clients already",
      "  code: '53300',",
    ]);
    const bouncer = await classifyLines("start", 1, [
      "Error: no more connections allowed (max_client_conn)",
    ]);
    const waited = await classifyLines("runtime", null, ["error: query_wait_timeout"]);
    expect(server).toMatchObject({ code: "POOL_EXHAUSTED", variant: "server-slots" });
    expect(bouncer).toMatchObject({ code: "POOL_EXHAUSTED", variant: "pgbouncer" });
    expect(waited).toMatchObject({ code: "POOL_EXHAUSTED", variant: "pgbouncer" });
    expect(server.hint).not.toBe(bouncer.hint);
    expect(server.hint).toMatch(/10 or less/);
    expect(bouncer.hint).toMatch(/max_client_conn|query_wait_timeout/);
  });

  it("calls a client pool that times out waiting POOL_EXHAUSTED, release the clients", async () => {
    const result = await classifyLines("runtime", null, [
      "api listening on 3000",
      "Error: timeout exceeded when trying to connect",
      "    at /app/node_modules/pg-pool/index.js:45:11",
    ]);
    expect(result).toMatchObject({ code: "POOL_EXHAUSTED", variant: "client-pool" });
    expect(result.hint).toMatch(/release/i);
  });

  it("recognises prepared statements lost behind a transaction pooler, escaped or not", async () => {
    const pg = await classifyLines("start", 1, [
      'error: prepared statement "get-user" already exists',
    ]);
    const prisma = await classifyLines("runtime", null, [
      "Invalid `prisma.user.findMany()` invocation:",
      'ConnectorError(ConnectorError { user_facing_error: None, kind: QueryError(PostgresError { code: "26000", message: "prepared statement \\"s3\\" does not exist", severity: "ERROR" }) })',
    ]);
    expect(pg.code).toBe("PREPARED_STATEMENT_CONFLICT");
    expect(prisma.code).toBe("PREPARED_STATEMENT_CONFLICT");
    expect(pg.hint).toMatch(/1\.21/);
    expect(pg.hint).toMatch(/pgbouncer=true/);
  });

  it("reads `column … of relation … does not exist` as a missing column, not a missing table", async () => {
    const result = await classifyLines("runtime", null, [
      'POST /todos failed: column "due_date" of relation "todos" does not exist',
    ]);
    expect(result.code).toBe("SCHEMA_MISMATCH");
  });

  it("calls SQL errors raised by a migration MIGRATION_FAILED, with the migration in evidence", async () => {
    const result = await classifyLines("schema", 1, [
      "found 2 migration(s), 1 already applied",
      "  applying 002_index.sql ...",
      "migration 002_index.sql failed, rolled back",
      'error: relation "todos" does not exist',
      "    at /app/node_modules/pg/lib/client.js:694:17",
      "  code: '42P01',",
    ]);
    expect(result.code).toBe("MIGRATION_FAILED");
    expect(result.runnerUp?.code).toBe("RELATION_DOES_NOT_EXIST");
    expect(result.evidence.map((e) => e.line)).toEqual([3, 4]);
  });

  it("reads a schema change failing in Postgres' DDL code as a migration failure", async () => {
    const result = await classifyLines("schema", 1, [
      "> node scripts/setup-db.js",
      'error: column "is_done" does not exist',
      "    at /app/node_modules/pg/lib/client.js:694:17",
      "  code: '42703',",
      "  file: 'tablecmds.c',",
      "  routine: 'renameatt_internal'",
    ]);
    const query = await classifyLines("schema", 1, [
      "> node scripts/seed.js",
      'error: column "is_done" does not exist',
      "    at /app/node_modules/pg/lib/client.js:694:17",
      "  code: '42703',",
      "  file: 'parse_relation.c',",
      "  routine: 'errorMissingColumn'",
    ]);
    expect(result.code).toBe("MIGRATION_FAILED");
    expect(query.code).toBe("SCHEMA_MISMATCH");
  });

  it("reads errors from a SQL script run by psql as the migration's", async () => {
    const result = await classifyLines("schema", 3, [
      'psql:schema.sql:12: ERROR:  column "owner_id" does not exist',
    ]);
    expect(result.code).toBe("MIGRATION_FAILED");
  });

  it("keeps a missing table RELATION_DOES_NOT_EXIST once migrations reported success", async () => {
    const result = await classifyLines("schema", 1, [
      "Applying migration `20240101000000_init`",
      "All migrations have been successfully applied.",
      "> node seed.js",
      'error: relation "plans" does not exist',
    ]);
    expect(result.code).toBe("RELATION_DOES_NOT_EXIST");
  });

  it("does not take a NOTICE for an error", async () => {
    const result = await classifyLines("schema", 1, [
      'NOTICE: relation "schema_migrations" already exists, skipping',
      "applying 001_init.sql ...",
      'error: syntax error at or near "TABLEE"',
    ]);
    expect(result.code).toBe("MIGRATION_FAILED");
    expect(result.evidence.at(-1)?.text).toMatch(/syntax error/);
  });

  it("keeps connection failures in a preStart their own codes", async () => {
    const cases: Array<[string, string]> = [
      [
        'psql: error: connection to server at "127.0.0.1", port 6432 failed: FATAL:  bouncer config error',
        "BOUNCER_CONFIG_ERROR",
      ],
      [
        'psql: error: connection to server at "127.0.0.1", port 5433 failed: FATAL:  password authentication failed for user "x"',
        "DATABASE_AUTH_FAILED",
      ],
      [
        'psql: error: connection to server at "127.0.0.1", port 5433 failed: Connection refused',
        "DATABASE_UNREACHABLE",
      ],
      [
        'psql: error: connection to server at "127.0.0.1", port 5433 failed: FATAL:  database "shop" does not exist',
        "DATABASE_AUTH_FAILED",
      ],
    ];
    for (const [line, code] of cases) {
      expect((await classifyLines("schema", 2, ["applying schema.sql", line])).code).toBe(code);
    }
  });

  it("tells the bouncer config error's fix: redeploy, and no more DROP SCHEMA public CASCADE", async () => {
    const result = await classifyLines("start", 1, ["error: bouncer config error"]);
    expect(result.code).toBe("BOUNCER_CONFIG_ERROR");
    expect(result.hint).toMatch(/redeploy/i);
    expect(result.hint).toMatch(/DROP SCHEMA public CASCADE/);
    expect(result.docs).toMatch(/#common-failures$/);
    expect(result.retryable).toBe(false);
  });
});
