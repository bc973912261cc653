/** node-postgres (pg 8) failures: hand-written migration scripts, boots and runtime through PgBouncer. */
import { type Case, extraBouncer, READY, serveAndHit } from "./sql-stacks-lib.js";

const pkg = (name: string) =>
  JSON.stringify(
    {
      name,
      version: "0.9.2",
      private: true,
      scripts: { migrate: "node scripts/migrate.js", start: "node server.js" },
    },
    null,
    2,
  );

// A hand-written runner: applies sql/*.sql in order inside one transaction each, records them.
const migrateJs = `const fs = require("fs");
const path = require("path");
const { Client } = require("pg");
(async () => {
  const client = new Client({ connectionString: process.env.DIRECT_URL });
  await client.connect();
  await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (name text primary key, applied_at timestamptz default now())");
  const done = new Set((await client.query("SELECT name FROM schema_migrations")).rows.map((r) => r.name));
  const files = fs.readdirSync(path.join(__dirname, "../sql")).filter((f) => f.endsWith(".sql")).sort();
  for (const file of files) {
    if (done.has(file)) { console.log("skip  " + file + " (already applied)"); continue; }
    console.log("apply " + file);
    await client.query("BEGIN");
    try {
      await client.query(fs.readFileSync(path.join(__dirname, "../sql", file), "utf8"));
      await client.query("INSERT INTO schema_migrations (name) VALUES ($1)", [file]);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK");
      console.error("migration " + file + " failed, rolled back");
      throw err;
    }
  }
  console.log("migrations complete");
  await client.end();
})().catch((err) => { console.error(err); process.exit(1); });
`;

const sql001 = `CREATE TABLE accounts (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  plan text NOT NULL DEFAULT 'free',
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

// express API on a pg Pool (DATABASE_URL), console logs with a tiny request logger.
const consoleApi = (
  routes: string,
  poolOpts = "max: 5",
  tail = "",
) => `const express = require("express");
const { Pool } = require("pg");
const pool = new Pool({ connectionString: process.env.DATABASE_URL, ${poolOpts} });
pool.on("error", (err) => console.error("[pg] idle client error:", err.message));
const app = express();
app.use(express.json());
app.use((req, res, next) => {
  const t = process.hrtime.bigint();
  res.on("finish", () => console.log('::ffff:127.0.0.1 - - [' + new Date().toUTCString() + '] "' + req.method + " " + req.originalUrl + ' HTTP/1.1" ' + res.statusCode + " - " + (Number(process.hrtime.bigint() - t) / 1e6).toFixed(3) + " ms"));
  next();
});
app.get("/health", (req, res) => res.send("ok"));
${routes}
app.use((err, req, res, next) => { console.error(err); res.status(500).json({ error: "Internal Server Error" }); });
const server = app.listen(process.env.PORT, () => console.log("API ready on port " + process.env.PORT + " (env: " + process.env.NODE_ENV + ")"));
${tail}
`;

export const pgCases: Case[] = [
  {
    id: "pg-script-typo-second",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "preStart `npm run migrate` (a hand-written pg runner on DIRECT_URL); sql/002 has a syntax error after 001 applied",
      files: {
        "package.json": pkg("orders-api"),
        "scripts/migrate.js": migrateJs,
        "sql/001_accounts.sql": sql001,
        "sql/002_orders.sql": `CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  account_id bigint REFERENCES accounts(id),
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  status text NOT NULL DEFAULT 'pending',
);
`,
        "sql/003_orders_idx.sql": "CREATE INDEX orders_account_idx ON orders (account_id);\n",
      },
      command: "npm run migrate",
    }),
  },
  {
    id: "pg-script-index-on-ghost",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "hand-written pg migration runner; sql/003 indexes a column (owner_id) that 002 named account_id",
      files: {
        "package.json": pkg("orders-api"),
        "scripts/migrate.js": migrateJs,
        "sql/001_accounts.sql": sql001,
        "sql/002_orders.sql":
          "CREATE TABLE orders (id bigserial PRIMARY KEY, account_id bigint REFERENCES accounts(id), total_cents integer NOT NULL);\n",
        "sql/003_orders_idx.sql": "CREATE INDEX orders_owner_idx ON orders (owner_id);\n",
      },
      command: "node scripts/migrate.js",
    }),
  },
  {
    id: "pg-script-fk-type",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "pg migration runner printing pino JSON; a foreign key between uuid and bigint columns fails (42804)",
      files: {
        "package.json": pkg("ledger"),
        "scripts/migrate.js": `const { Client } = require("pg");
const log = require("pino")({ name: "migrate" });
const steps = [
  ["create accounts", "CREATE TABLE IF NOT EXISTS accounts (id bigserial primary key, email text unique not null)"],
  ["create ledger", "CREATE TABLE IF NOT EXISTS ledger_entries (id uuid primary key default gen_random_uuid(), account_id uuid not null, amount numeric(12,2) not null)"],
  ["link ledger", "ALTER TABLE ledger_entries ADD CONSTRAINT ledger_account_fk FOREIGN KEY (account_id) REFERENCES accounts(id)"],
];
(async () => {
  const c = new Client({ connectionString: process.env.DIRECT_URL });
  await c.connect();
  for (const [name, sql] of steps) {
    log.info({ step: name }, "running");
    await c.query(sql);
  }
  log.info("done");
  await c.end();
})().catch((err) => { log.error({ err }, "migration failed"); process.exit(1); });
`,
      },
      command: "npm run migrate --silent",
    }),
  },
  {
    id: "pg-script-hardcoded-host",
    build: () => ({
      step: "schema",
      expected: "DATABASE_UNREACHABLE",
      how: "pg migration script reading PGHOST/PGPORT style config with a committed default of localhost:5433 (ECONNREFUSED)",
      files: {
        "package.json": pkg("orders-api"),
        "scripts/migrate.js": `const { Client } = require("pg");
const client = new Client({ host: process.env.PGHOST || "localhost", port: Number(process.env.PGPORT || 5433), user: "app", password: "app", database: "orders" });
console.log("migrate: connecting to " + client.host + ":" + client.port);
client.connect().then(() => client.query("select 1")).then(() => console.log("ok")).catch((e) => { console.error("migrate: fatal", e); process.exit(2); });
`,
      },
      command: "npm run migrate",
    }),
  },
  {
    id: "pg-script-url-require-mode",
    build: () => ({
      step: "schema",
      expected: "DATABASE_SSL_MISMATCH",
      how: "hand-written pg migration appending ?sslmode=require to DIRECT_URL",
      files: {
        "package.json": pkg("orders-api"),
        "scripts/migrate.js": migrateJs.replace(
          "new Client({ connectionString: process.env.DIRECT_URL })",
          'new Client({ connectionString: process.env.DIRECT_URL + "?sslmode=require" })',
        ),
        "sql/001_accounts.sql": sql001,
      },
      command: "npm run migrate",
    }),
  },
  {
    id: "pg-boot-migrations-off",
    build: () => ({
      step: "start",
      expected: "RELATION_DOES_NOT_EXIST",
      how: "app boot prints 'skipping migrations' (MIGRATE_ON_BOOT unset) and then dies loading accounts on the empty database",
      files: {
        "package.json": pkg("orders-api"),
        "server.js": `const { Pool } = require("pg");
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 5 });
async function boot() {
  console.log("[boot] orders-api starting, NODE_ENV=" + process.env.NODE_ENV);
  if (!process.env.MIGRATE_ON_BOOT) console.log("[boot] MIGRATE_ON_BOOT is not set: skipping migrations");
  const { rows } = await pool.query("SELECT id, email, plan FROM accounts WHERE plan <> 'free' LIMIT 100");
  console.log("[boot] loaded " + rows.length + " paying accounts");
}
boot().catch((err) => { console.error("[boot] startup error:", err.message); console.error(err.stack); process.exit(1); });
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "pg-serve-orders-col",
    build: (ctx) => {
      ctx.su(
        `${sql001} ALTER TABLE accounts OWNER TO "${ctx.project.role}"; INSERT INTO accounts (email) VALUES ('a@x.io');`,
      );
      return {
        step: "runtime",
        expected: "SCHEMA_MISMATCH",
        how: "express + pg API selecting accounts.stripe_customer_id, a column from an uncommitted migration; requests fail and the server keeps serving",
        files: {
          "package.json": pkg("orders-api"),
          "server.js": consoleApi(`app.get("/accounts/:id", async (req, res, next) => {
  try {
    const { rows } = await pool.query("SELECT id, email, plan, stripe_customer_id FROM accounts WHERE id = $1", [req.params.id]);
    rows.length ? res.json(rows[0]) : res.sendStatus(404);
  } catch (err) { next(err); }
});`),
        },
        command: serveAndHit("node server.js", [
          "/health",
          "/accounts/1",
          "/accounts/2",
          "/health",
        ]),
        timeoutMs: 6000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pg-boot-copied-user",
    build: (ctx) => ({
      step: "start",
      expected: "DATABASE_AUTH_FAILED",
      how: "pg app connecting with a DB_URL copied from another project (its user name and password) through PgBouncer",
      files: {
        "package.json": pkg("orders-api"),
        "server.js": `const { Client } = require("pg");
const c = new Client(process.env.DB_URL || process.env.DATABASE_URL);
console.log("connecting to database...");
c.connect().then(() => console.log("connected")).catch((err) => { console.error("could not connect:", err); process.exit(1); });
`,
      },
      env: {
        DB_URL: (() => {
          const u = new URL(ctx.withPassword(ctx.project.databaseUrl, "old-password-2024"));
          u.username = "prj_storefront_legacy";
          return u.toString();
        })(),
      },
      extraScrub: ["prj_storefront_legacy"],
      command: "npm start",
    }),
  },
  {
    id: "pg-serve-leaked-clients",
    build: (ctx) => {
      ctx.su(
        `${sql001} ALTER TABLE accounts OWNER TO "${ctx.project.role}"; INSERT INTO accounts (email) SELECT 'u' || g || '@x.io' FROM generate_series(1,20) g;`,
      );
      return {
        step: "runtime",
        expected: "POOL_EXHAUSTED",
        how: "pg Pool max 3, connectionTimeoutMillis 1500; a route checks out a client and never releases it on its error path",
        files: {
          "package.json": pkg("orders-api"),
          "server.js": consoleApi(
            `app.get("/accounts/:id/upgrade", async (req, res, next) => {
  const client = await pool.connect().catch(next);
  if (!client) return;
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT plan FROM accounts WHERE id = $1 FOR UPDATE", [req.params.id]);
    if (!rows.length) return res.status(404).json({ error: "no such account" }); // client never released
    await client.query("UPDATE accounts SET plan = 'pro' WHERE id = $1", [req.params.id]);
    await client.query("COMMIT");
    client.release();
    res.json({ ok: true });
  } catch (err) { client.release(); next(err); }
});`,
            "max: 3, connectionTimeoutMillis: 1500",
          ),
        },
        command: serveAndHit(
          "node server.js",
          [
            "/accounts/1/upgrade",
            "/accounts/999/upgrade",
            "/accounts/998/upgrade",
            "/accounts/997/upgrade",
            "/accounts/2/upgrade",
            "/accounts/3/upgrade",
          ],
          0.2,
        ),
        timeoutMs: 9000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pg-serve-small-bouncer-clients",
    build: (ctx) => {
      const port = extraBouncer("tiny");
      ctx.su(`${sql001} ALTER TABLE accounts OWNER TO "${ctx.project.role}";`);
      return {
        step: "runtime",
        expected: "POOL_EXHAUSTED",
        how: "pg Pool max 20 opening many connections at once through a PgBouncer with max_client_conn = 4",
        files: {
          "package.json": pkg("orders-api"),
          "server.js": consoleApi(
            `app.get("/stats", async (req, res, next) => {
  try {
    const parts = await Promise.all(["free", "pro", "team", "enterprise", "trial", "legacy"].map((p) => pool.query("SELECT count(*)::int AS n, pg_sleep(0.5) FROM accounts WHERE plan = $1", [p])));
    res.json(parts.map((r) => r.rows[0].n));
  } catch (err) { next(err); }
});`,
            "max: 20",
          ),
        },
        env: { DATABASE_URL: ctx.onPort(ctx.project.databaseUrl, port) },
        command: serveAndHit("node server.js", ["/health", "/stats", "/stats"], 1),
        timeoutMs: 8000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pg-serve-wait-timeout",
    build: (ctx) => {
      const port = extraBouncer("tiny");
      ctx.su(`${sql001} ALTER TABLE accounts OWNER TO "${ctx.project.role}";`);
      return {
        step: "runtime",
        expected: "POOL_EXHAUSTED",
        how: "a nightly export holds the only server connection (default_pool_size 1) for 8s; API queries wait past PgBouncer's query_wait_timeout (3s)",
        files: {
          "package.json": pkg("orders-api"),
          "server.js": consoleApi(
            `app.post("/export", async (req, res, next) => {
  try { await pool.query("SELECT pg_sleep(8), count(*) FROM accounts"); res.json({ exported: true }); } catch (err) { next(err); }
});
app.get("/accounts", async (req, res, next) => {
  try { res.json((await pool.query("SELECT id, email FROM accounts LIMIT 10")).rows); } catch (err) { next(err); }
});`,
          ),
        },
        env: { DATABASE_URL: ctx.onPort(ctx.project.databaseUrl, port) },
        command: `node server.js & ${READY}; curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/export" & sleep 0.5; curl -s -o /dev/null "http://127.0.0.1:$PORT/accounts"; curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; wait`,
        timeoutMs: 11000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pg-serve-named-queries",
    build: (ctx) => {
      const port = extraBouncer("noprep");
      ctx.su(
        `${sql001} ALTER TABLE accounts OWNER TO "${ctx.project.role}"; INSERT INTO accounts (email) SELECT 'u' || g || '@x.io' FROM generate_series(1,50) g;`,
      );
      return {
        step: "runtime",
        expected: "PREPARED_STATEMENT_CONFLICT",
        how: "pg named queries ({ name: 'account-by-id' }) under concurrent load through a transaction-mode PgBouncer with max_prepared_statements = 0",
        files: {
          "package.json": pkg("orders-api"),
          "server.js": consoleApi(`app.get("/accounts/:id", async (req, res, next) => {
  try {
    const { rows } = await pool.query({ name: "account-by-id", text: "SELECT id, email, plan, pg_sleep(0.05) FROM accounts WHERE id = $1", values: [req.params.id] });
    res.json(rows[0] || null);
  } catch (err) { next(err); }
});`),
        },
        env: { DATABASE_URL: ctx.onPort(ctx.project.databaseUrl, port) },
        command: `node server.js & ${READY}; for r in 1 2 3; do for i in 1 2 3 4 5 6 7 8; do curl -s -o /dev/null "http://127.0.0.1:$PORT/accounts/$i" & done; sleep 0.5; done; wait`,
        timeoutMs: 7000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pg-serve-wipe-endpoint",
    build: (ctx) => {
      ctx.su(`${sql001} ALTER TABLE accounts OWNER TO "${ctx.project.role}";`);
      return {
        step: "runtime",
        expected: "BOUNCER_CONFIG_ERROR",
        how: "a seed endpoint runs DROP SCHEMA public CASCADE to start clean; every new connection through PgBouncer fails afterwards",
        files: {
          "package.json": pkg("orders-api"),
          "server.js": consoleApi(
            `app.post("/dev/seed", async (req, res, next) => {
  try {
    await pool.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    await pool.query("CREATE TABLE accounts (id bigserial primary key, email text unique not null, plan text not null default 'free')");
    console.log("seed: schema recreated");
    res.json({ ok: true });
  } catch (err) { next(err); }
});
app.get("/accounts", async (req, res, next) => {
  try { res.json((await pool.query("SELECT * FROM accounts")).rows); } catch (err) { next(err); }
});`,
            "max: 5, idleTimeoutMillis: 200",
          ),
        },
        command: serveAndHit(
          "node server.js",
          ["/accounts", "POST /dev/seed", "/accounts", "/accounts"],
          1,
        ),
        timeoutMs: 8000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pg-boot-role-cap",
    build: (ctx) => {
      ctx.su(`ALTER ROLE "${ctx.project.role}" CONNECTION LIMIT 2`);
      return {
        step: "start",
        expected: "POOL_EXHAUSTED",
        how: "app warms a pg Pool of 8 connections on DIRECT_URL against a role with CONNECTION LIMIT 2",
        files: {
          "package.json": pkg("orders-api"),
          "server.js": `const { Pool } = require("pg");
const pool = new Pool({ connectionString: process.env.DIRECT_URL, max: 8 });
async function warm() {
  console.log("warming pool (8 connections)");
  const clients = await Promise.all(Array.from({ length: 8 }, () => pool.connect()));
  clients.forEach((c) => c.release());
  console.log("pool warm");
}
warm().then(() => require("http").createServer((q, r) => r.end("ok")).listen(process.env.PORT)).catch((e) => { console.error("Error during startup", e); process.exit(1); });
`,
        },
        command: "npm start",
      };
    },
  },
  {
    id: "pg-serve-dupes-then-typeerror",
    build: (ctx) => {
      ctx.su(
        `${sql001} ALTER TABLE accounts OWNER TO "${ctx.project.role}"; INSERT INTO accounts (email) VALUES ('dup@x.io');`,
      );
      return {
        step: "runtime",
        expected: "START_CRASHED",
        how: "express + pg: duplicate signups are logged as handled unique violations (500s with the pg error), then a webhook handler throws a TypeError outside the request chain and the process exits",
        files: {
          "package.json": pkg("orders-api"),
          "server.js": consoleApi(`app.post("/signup", async (req, res, next) => {
  try {
    await pool.query("INSERT INTO accounts (email) VALUES ($1)", ["dup@x.io"]);
    res.sendStatus(201);
  } catch (err) { console.error("signup error:", err.message, "(" + err.code + ")"); res.status(409).json({ error: "already registered" }); }
});
app.post("/webhooks/billing", (req, res) => {
  res.sendStatus(202);
  setTimeout(() => { const event = JSON.parse('{"type":"invoice.paid"}'); console.log("processing " + event.type + " for " + event.data.object.customer); }, 100);
});`),
        },
        command: serveAndHit(
          "node server.js",
          ["POST /signup", "POST /signup", "/health", "POST /webhooks/billing"],
          0.4,
        ),
        timeoutMs: 8000,
      };
    },
  },
  {
    id: "pg-serve-audit-route",
    build: (ctx) => {
      ctx.su(
        `${sql001} ALTER TABLE accounts OWNER TO "${ctx.project.role}"; INSERT INTO accounts (email) VALUES ('a@x.io');`,
      );
      return {
        step: "runtime",
        expected: "RELATION_DOES_NOT_EXIST",
        how: "express + pg: accounts exists (created by hand long ago) but the audit_log table the new release writes on every request was never created; the app logs each failure and keeps serving",
        files: {
          "package.json": pkg("orders-api"),
          "server.js": consoleApi(`app.use(async (req, res, next) => {
  if (req.path === "/health") return next();
  try { await pool.query("INSERT INTO audit_log (path, at) VALUES ($1, now())", [req.path]); }
  catch (err) { console.error("audit write failed:", err.message); }
  next();
});
app.get("/accounts", async (req, res, next) => {
  try { res.json((await pool.query("SELECT id, email FROM accounts")).rows); } catch (err) { next(err); }
});`),
        },
        command: serveAndHit("node server.js", [
          "/health",
          "/accounts",
          "/accounts",
          "/health",
          "/accounts",
        ]),
        timeoutMs: 7000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pg-boot-noisy-refused",
    build: () => ({
      step: "start",
      expected: "DATABASE_UNREACHABLE",
      how: "pg app printing a config banner (with error_reporting and ERROR-level words) and a handled Sentry warning, then failing to connect to a PGHOST/PGPORT default of 127.0.0.1:5433",
      files: {
        "package.json": pkg("orders-api"),
        "server.js": `const { Pool } = require("pg");
console.log("==============================================");
console.log(" orders-api 0.9.2");
console.log("   log level ......... info (errors -> stderr)");
console.log("   error_reporting ... sentry (disabled: no SENTRY_DSN)");
console.log("   db host ........... " + (process.env.PGHOST || "127.0.0.1") + ":" + (process.env.PGPORT || "5433"));
console.log("==============================================");
console.warn("warn: SENTRY_DSN not set, errors will only be logged locally");
const pool = new Pool({ host: process.env.PGHOST || "127.0.0.1", port: Number(process.env.PGPORT || 5433), database: "orders", user: "orders", max: 5 });
pool.query("SELECT 1").then(() => console.log("db ok")).catch((err) => {
  console.error("fatal: database connection failed after 0 retries");
  console.error(err);
  process.exit(1);
});
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "pg-boot-notices-then-listen",
    build: (ctx) => {
      ctx.su(`${sql001} ALTER TABLE accounts OWNER TO "${ctx.project.role}";`);
      return {
        step: "start",
        expected: "PORT_IN_USE",
        how: "start runs the pg migration script (IF NOT EXISTS: 'relation already exists, skipping' notices) and then a server that starts a metrics listener on the same PORT",
        files: {
          "package.json": JSON.stringify(
            {
              name: "orders-api",
              version: "0.9.2",
              private: true,
              scripts: { start: "node scripts/migrate.js && node server.js" },
            },
            null,
            2,
          ),
          "scripts/migrate.js": `const { Client } = require("pg");
(async () => {
  const c = new Client({ connectionString: process.env.DIRECT_URL });
  c.on("notice", (n) => console.log("NOTICE:", n.message));
  await c.connect();
  console.log("migrate: ensuring schema");
  await c.query("CREATE TABLE IF NOT EXISTS accounts (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, plan text NOT NULL DEFAULT 'free', created_at timestamptz NOT NULL DEFAULT now())");
  await c.query("CREATE INDEX IF NOT EXISTS accounts_email_key ON accounts (email)");
  console.log("migrate: schema up to date, 0 errors");
  await c.end();
})().catch((e) => { console.error(e); process.exit(1); });
`,
          "server.js": consoleApi(
            `app.get("/accounts", async (req, res, next) => {
  try { res.json((await pool.query("SELECT id, email FROM accounts")).rows); } catch (err) { next(err); }
});`,
            "max: 5",
            `// metrics endpoint (meant for METRICS_PORT)
require("http").createServer((q, r) => r.end("up 1")).listen(process.env.METRICS_PORT || process.env.PORT);`,
          ),
        },
        command: "npm start",
      };
    },
  },
];
