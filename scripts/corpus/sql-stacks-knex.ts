/** Knex 3 failures (migrate:latest in preStart, app boots and runtime through PgBouncer). */
import { type Case, READY, serveAndHit } from "./sql-stacks-lib.js";

const knexfile = (extra = "") => `// knexfile.js
module.exports = {
  client: "pg",
  connection: ${extra ? `{ connectionString: process.env.DIRECT_URL, ${extra} }` : "process.env.DIRECT_URL"},
  migrations: { directory: "./migrations", tableName: "knex_migrations" },
  pool: { min: 0, max: 5 },
};
`;

const createUsers = `exports.up = (knex) =>
  knex.schema.createTable("users", (t) => {
    t.increments("id");
    t.string("email").notNullable().unique();
    t.string("name");
    t.timestamps(true, true);
  });
exports.down = (knex) => knex.schema.dropTable("users");
`;

const createPosts = `exports.up = (knex) =>
  knex.schema.createTable("posts", (t) => {
    t.increments("id");
    t.integer("user_id").references("users.id").onDelete("CASCADE");
    t.string("title").notNullable();
    t.text("body");
    t.timestamps(true, true);
  });
exports.down = (knex) => knex.schema.dropTable("posts");
`;

const pkg = (scripts: Record<string, string>) =>
  JSON.stringify({ name: "knex-api", version: "1.4.0", private: true, scripts }, null, 2);

// A small express API on knex, pino logs, with a pooled connection (DATABASE_URL).
const pinoApi = (
  routes: string,
  boot = "",
  pool = "{ min: 0, max: 5 }",
) => `const express = require("express");
const pino = require("pino");
const knex = require("knex")({ client: "pg", connection: process.env.DATABASE_URL, pool: ${pool} });
const log = pino({ base: { svc: "knex-api" } });
const app = express();
app.use(express.json());
app.use((req, res, next) => {
  const t = Date.now();
  res.on("finish", () => log.info({ method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - t }, "request completed"));
  next();
});
app.get("/healthz", (req, res) => res.json({ ok: true }));
${routes}
app.use((err, req, res, next) => {
  log.error({ err }, "request failed");
  res.status(500).json({ error: "internal error" });
});
${boot}
app.listen(Number(process.env.PORT), "0.0.0.0", () => log.info({ port: Number(process.env.PORT) }, "server listening"));
`;

export const knexCases: Case[] = [
  {
    id: "knex-prestart-syntax-a",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "knex migrate:latest (DIRECT_URL); the second migration's knex.raw has a typo (CRATE INDEX)",
      files: {
        "package.json": pkg({ migrate: "knex migrate:latest", start: "node server.js" }),
        "knexfile.js": knexfile(),
        "migrations/20240101090000_users.js": createUsers,
        "migrations/20240102090000_users_email_idx.js": `exports.up = (knex) => knex.raw("CRATE INDEX users_email_lower ON users (lower(email))");
exports.down = (knex) => knex.raw("DROP INDEX users_email_lower");
`,
      },
      command: "npx knex migrate:latest",
    }),
  },
  {
    id: "knex-prestart-twice-table",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "npm run migrate (knex migrate:latest); two migrations both create table users",
      files: {
        "package.json": pkg({
          migrate: "knex migrate:latest --knexfile knexfile.js",
          start: "node server.js",
        }),
        "knexfile.js": knexfile(),
        "migrations/20240101090000_users.js": createUsers,
        "migrations/20240101090500_posts.js": createPosts,
        "migrations/20240110120000_users_v2.js": createUsers,
      },
      command: "npm run migrate",
    }),
  },
  {
    id: "knex-prestart-dir-missing-file",
    build: (ctx) => {
      ctx.su(
        "CREATE TABLE knex_migrations (id serial primary key, name varchar(255), batch integer, migration_time timestamptz);" +
          "CREATE TABLE knex_migrations_lock (index serial primary key, is_locked integer);" +
          "INSERT INTO knex_migrations_lock (is_locked) VALUES (0);" +
          "INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20240101090000_users.js', 1, now()), ('20240105090000_add_avatar.js', 1, now());" +
          `GRANT ALL ON ALL TABLES IN SCHEMA public TO "${ctx.project.role}"; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "${ctx.project.role}";`,
      );
      return {
        step: "schema",
        expected: "MIGRATION_FAILED",
        how: "knex migrate:latest; knex_migrations records a migration (add_avatar) whose file was deleted from the repo",
        files: {
          "package.json": pkg({ start: "node server.js" }),
          "knexfile.js": knexfile(),
          "migrations/20240101090000_users.js": createUsers,
          "migrations/20240201090000_posts.js": createPosts,
        },
        command: "npx knex migrate:latest",
      };
    },
  },
  {
    id: "knex-prestart-held-lock",
    build: (ctx) => {
      ctx.su(
        "CREATE TABLE knex_migrations (id serial primary key, name varchar(255), batch integer, migration_time timestamptz);" +
          "CREATE TABLE knex_migrations_lock (index serial primary key, is_locked integer);" +
          "INSERT INTO knex_migrations_lock (is_locked) VALUES (1);" +
          `GRANT ALL ON ALL TABLES IN SCHEMA public TO "${ctx.project.role}"; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "${ctx.project.role}";`,
      );
      return {
        step: "schema",
        expected: "MIGRATION_FAILED",
        how: "knex migrate:latest while knex_migrations_lock is_locked = 1 (an earlier run was killed mid-migration)",
        files: {
          "package.json": pkg({ start: "node server.js" }),
          "knexfile.js": knexfile(),
          "migrations/20240101090000_users.js": createUsers,
        },
        command: "echo '> running migrations'; npx knex migrate:latest --env production",
      };
    },
  },
  {
    id: "knex-prestart-backfill-col",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "knex migrate:latest; a backfill migration updates a column (display_name) that no earlier migration created",
      files: {
        "package.json": pkg({ start: "node server.js" }),
        "knexfile.js": knexfile(),
        "migrations/20240101090000_users.js": createUsers,
        "migrations/20240101090500_posts.js": createPosts,
        "migrations/20240301100000_backfill_names.js": `exports.up = async (knex) => {
  console.log("backfilling display names...");
  await knex("users").update({ display_name: knex.raw("split_part(email, '@', 1)") }).whereNull("name");
};
exports.down = async () => {};
`,
      },
      command: "npx knex migrate:latest",
    }),
  },
  {
    id: "knex-prestart-localhost-5433",
    build: () => ({
      step: "schema",
      expected: "DATABASE_UNREACHABLE",
      how: "knex migrate:latest with a knexfile that hard-codes the dev database (localhost:5433) instead of DIRECT_URL",
      files: {
        "package.json": pkg({ start: "node server.js" }),
        "knexfile.js": `module.exports = {
  development: { client: "pg", connection: "postgres://postgres:postgres@localhost:5433/app_dev", migrations: { directory: "./migrations" } },
  production: { client: "pg", connection: process.env.PG_CONNECTION || "postgres://app:app@localhost:5433/app", migrations: { directory: "./migrations" } },
};
`,
        "migrations/20240101090000_users.js": createUsers,
      },
      command: "npx knex migrate:latest --env production",
    }),
  },
  {
    id: "knex-prestart-tls-object",
    build: () => ({
      step: "schema",
      expected: "DATABASE_SSL_MISMATCH",
      how: "knex migrate:latest with ssl: { rejectUnauthorized: false } in the knexfile (copied from a hosted-Postgres guide)",
      files: {
        "package.json": pkg({ start: "node server.js" }),
        "knexfile.js": knexfile("ssl: { rejectUnauthorized: false }"),
        "migrations/20240101090000_users.js": createUsers,
      },
      command: "npx knex migrate:latest",
    }),
  },
  {
    id: "knex-prestart-no-knexfile",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "preStart `knex migrate:latest` in an app whose knexfile lives in src/db/ (not passed with --knexfile)",
      files: {
        "package.json": pkg({ start: "node server.js" }),
        "src/db/knexfile.js": knexfile(),
        "src/db/migrations/20240101090000_users.js": createUsers,
      },
      command: "npx knex migrate:latest",
    }),
  },
  {
    id: "knex-boot-skip-then-query",
    build: () => ({
      step: "start",
      expected: "RELATION_DOES_NOT_EXIST",
      how: "app boot that skips migrations unless RUN_MIGRATIONS=1 (unset), then loads accounts on the empty database",
      files: {
        "package.json": pkg({ start: "node server.js" }),
        "server.js": `const knex = require("knex")({ client: "pg", connection: process.env.DATABASE_URL });
const ts = () => new Date().toISOString();
async function main() {
  console.log(ts(), "INFO  booting billing-api v2.3.1 (node " + process.version + ")");
  if (process.env.RUN_MIGRATIONS === "1") {
    await knex.migrate.latest();
  } else {
    console.log(ts(), "INFO  RUN_MIGRATIONS not set, skipping migrations");
  }
  console.log(ts(), "INFO  warming account cache");
  const accounts = await knex("accounts").select("id", "plan").where({ active: true });
  console.log(ts(), "INFO  cached", accounts.length, "accounts");
}
main().catch((err) => {
  console.error(ts(), "FATAL boot failed:", err);
  process.exit(1);
});
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "knex-serve-missing-col",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE users (id serial primary key, email text unique not null, name text); INSERT INTO users (email, name) VALUES ('ann@example.com','Ann'),('bo@example.com','Bo'); ALTER TABLE users OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "runtime",
        expected: "SCHEMA_MISMATCH",
        how: "express + knex API selecting users.avatar_url, a column whose migration was never committed; requests get 500 and the server keeps serving",
        files: {
          "package.json": pkg({ start: "node server.js" }),
          "server.js": pinoApi(`app.get("/api/users", async (req, res, next) => {
  try {
    res.json(await knex("users").select("id", "email", "name", "avatar_url").orderBy("id"));
  } catch (err) { next(err); }
});`),
        },
        command: serveAndHit("node server.js", [
          "/healthz",
          "/api/users",
          "/healthz",
          "/api/users?page=2",
        ]),
        timeoutMs: 6000,
        stillRunning: true,
      };
    },
  },
  {
    id: "knex-boot-stale-password",
    build: (ctx) => ({
      step: "start",
      expected: "DATABASE_AUTH_FAILED",
      how: "knex app with a .env-style hard-coded DATABASE_URL whose password is from an older project (through PgBouncer)",
      files: {
        "package.json": pkg({ start: "node server.js" }),
        "server.js": pinoApi(
          `app.get("/api/posts", async (req, res, next) => {
  try { res.json(await knex("posts").limit(20)); } catch (err) { next(err); }
});`,
          `knex.raw("select 1").then(() => log.info("database ok")).catch((err) => { log.fatal({ err }, "database check failed"); process.exit(1); });`,
        ),
      },
      env: { DATABASE_URL: ctx.withPassword(ctx.project.databaseUrl, "s3cr3t-from-staging") },
      command: "npm start",
      timeoutMs: 15000,
    }),
  },
  {
    id: "knex-serve-acquire-wait",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE jobs (id serial primary key, status text); ALTER TABLE jobs OWNER TO "${ctx.project.role}"; INSERT INTO jobs (status) SELECT 'queued' FROM generate_series(1,50);`,
      );
      return {
        step: "runtime",
        expected: "POOL_EXHAUSTED",
        how: "knex pool max 2 with acquireConnectionTimeout 2000; a /report route holds a transaction open for 10s, concurrent requests time out acquiring a connection",
        files: {
          "package.json": pkg({ start: "node server.js" }),
          "server.js": `const express = require("express");
const knex = require("knex")({ client: "pg", connection: process.env.DATABASE_URL, pool: { min: 0, max: 2 }, acquireConnectionTimeout: 2000 });
const app = express();
app.use((req, res, next) => { const t = Date.now(); res.on("finish", () => console.log(new Date().toISOString() + " " + req.method + " " + req.url + " " + res.statusCode + " " + (Date.now() - t) + "ms")); next(); });
app.get("/report", async (req, res, next) => {
  try {
    await knex.transaction(async (trx) => {
      const rows = await trx("jobs").count("* as n");
      await new Promise((r) => setTimeout(r, 10000));
      res.json(rows[0]);
    });
  } catch (err) { next(err); }
});
app.get("/jobs", async (req, res, next) => {
  try { res.json(await knex("jobs").where({ status: "queued" }).limit(5)); } catch (err) { next(err); }
});
app.use((err, req, res, next) => { console.error("[error] " + req.method + " " + req.url + ":", err); res.status(500).send("error"); });
app.listen(process.env.PORT, () => console.log("jobs-dashboard listening on :" + process.env.PORT));
`,
        },
        command: `node server.js & ${READY}; curl -s -o /dev/null "http://127.0.0.1:$PORT/jobs"; for i in 1 2; do curl -s -o /dev/null "http://127.0.0.1:$PORT/report" & done; sleep 0.5; for i in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$PORT/jobs" & done; wait`,
        timeoutMs: 9000,
        stillRunning: true,
      };
    },
  },
  {
    id: "knex-serve-dupes-then-reset",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE users (id serial primary key, email text unique not null, name text); ALTER TABLE users OWNER TO "${ctx.project.role}"; INSERT INTO users (email) VALUES ('taken@example.com');`,
      );
      return {
        step: "runtime",
        expected: "BOUNCER_CONFIG_ERROR",
        how: "express + knex API: signups hit a unique violation (logged, 409), then a test-data reset endpoint runs DROP SCHEMA public CASCADE and every query after it fails through PgBouncer",
        files: {
          "package.json": pkg({ start: "node server.js" }),
          "server.js": pinoApi(
            `app.post("/api/signup", async (req, res, next) => {
  try {
    const [u] = await knex("users").insert({ email: "taken@example.com", name: "x" }).returning("id");
    res.status(201).json(u);
  } catch (err) {
    if (err.code === "23505") { log.warn({ err: err.message, detail: err.detail }, "signup rejected: email already registered"); return res.status(409).json({ error: "email taken" }); }
    next(err);
  }
});
app.post("/admin/reset", async (req, res, next) => {
  try {
    await knex.raw("DROP SCHEMA public CASCADE");
    await knex.raw("CREATE SCHEMA public");
    log.info("test data reset");
    res.json({ reset: true });
  } catch (err) { next(err); }
});
app.get("/api/users", async (req, res, next) => {
  try { res.json(await knex("users").select("id", "email")); } catch (err) { next(err); }
});`,
            "",
            "{ min: 0, max: 5, idleTimeoutMillis: 300, reapIntervalMillis: 100 }",
          ),
        },
        command: serveAndHit(
          "node server.js",
          ["POST /api/signup", "POST /api/signup", "POST /admin/reset", "/api/users", "/api/users"],
          1.2,
        ),
        timeoutMs: 12000,
        stillRunning: true,
      };
    },
  },
  {
    id: "knex-boot-latest-in-start",
    build: () => ({
      step: "start",
      expected: "MIGRATION_FAILED",
      how: "express + knex app that runs knex.migrate.latest() before listening; a migration adds a NOT NULL column without default to a table seeded by the first migration",
      files: {
        "package.json": pkg({ start: "node server.js" }),
        "knexfile.js": knexfile(),
        "migrations/20240101090000_users.js": `exports.up = async (knex) => {
  await knex.schema.createTable("users", (t) => { t.increments("id"); t.string("email").notNullable().unique(); });
  await knex("users").insert([{ email: "admin@example.com" }, { email: "ops@example.com" }]);
};
exports.down = (knex) => knex.schema.dropTable("users");
`,
        "migrations/20240601090000_users_tenant.js": `exports.up = (knex) => knex.schema.alterTable("users", (t) => { t.integer("tenant_id").notNullable(); });
exports.down = (knex) => knex.schema.alterTable("users", (t) => { t.dropColumn("tenant_id"); });
`,
        "server.js": `const express = require("express");
const knex = require("knex")(require("./knexfile"));
const log = require("pino")();
log.info("running database migrations before start");
knex.migrate.latest()
  .then(([batch, files]) => {
    log.info({ batch, files }, "migrations done");
    express().get("/", (q, r) => r.send("ok")).listen(process.env.PORT, () => log.info("listening"));
  })
  .catch((err) => { log.fatal({ err }, "migration error, refusing to start"); process.exit(1); });
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "knex-boot-url-require-mode",
    build: () => ({
      step: "start",
      expected: "DATABASE_SSL_MISMATCH",
      how: "knex app appending ?sslmode=require to DATABASE_URL in its db.js (for a managed Postgres it used before)",
      files: {
        "package.json": pkg({ start: "node server.js" }),
        "db.js": `const url = process.env.DATABASE_URL + (process.env.DATABASE_URL.includes("?") ? "&" : "?") + "sslmode=require";
module.exports = require("knex")({ client: "pg", connection: url, pool: { min: 1, max: 5 } });
`,
        "server.js": `const db = require("./db");
const http = require("http");
console.log(new Date().toISOString(), 'level=info msg="starting" version=1.4.0');
db.raw("select 1 as ok")
  .then(() => http.createServer((q, r) => r.end("ok")).listen(process.env.PORT, () => console.log(new Date().toISOString(), 'level=info msg="listening"')))
  .catch((e) => { console.log(new Date().toISOString(), 'level=error msg="db connect failed" err=' + JSON.stringify(e.message)); process.exit(1); });
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "knex-boot-flags-then-col",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE users (id serial primary key, email text unique not null, name text); ALTER TABLE users OWNER TO "${ctx.project.role}"; INSERT INTO users (email) VALUES ('admin@example.com');`,
      );
      return {
        step: "start",
        expected: "SCHEMA_MISMATCH",
        how: "knex boot: an optional feature_flags table is missing (handled: warning, defaults used), then the admin bootstrap selects users.role, a column never migrated, and the process exits",
        files: {
          "package.json": pkg({ start: "node server.js" }),
          "server.js": `const knex = require("knex")({ client: "pg", connection: process.env.DATABASE_URL });
const log = require("pino")({ base: null });
async function boot() {
  let flags = {};
  try {
    flags = Object.fromEntries((await knex("feature_flags").select("name", "enabled")).map((f) => [f.name, f.enabled]));
  } catch (err) {
    log.warn({ err: err.message }, "feature flags unavailable, using defaults");
  }
  log.info({ flags }, "flags loaded");
  const admins = await knex("users").where({ role: "admin" }).select("id", "email");
  log.info({ admins: admins.length }, "admin bootstrap done");
}
boot().catch((err) => { log.fatal({ err }, "boot failed"); process.exit(1); });
`,
        },
        command: "npm start",
      };
    },
  },
];
