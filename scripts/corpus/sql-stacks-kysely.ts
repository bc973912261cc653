/** Kysely 0.28 failures: the Migrator in a preStart script, boots and runtime through PgBouncer. */
import { type Case, extraBouncer, READY, serveAndHit } from "./sql-stacks-lib.js";

const pkg = () =>
  JSON.stringify(
    {
      name: "kysely-shop",
      version: "0.3.1",
      private: true,
      scripts: { migrate: "node migrate.js", start: "node server.js" },
    },
    null,
    2,
  );

// The Migrator script from Kysely's docs, on DIRECT_URL, printing each result.
const migrateJs = (url = "process.env.DIRECT_URL", pool = "") => `const path = require("path");
const { promises: fs } = require("fs");
const { Pool } = require("pg");
const { Kysely, PostgresDialect, Migrator, FileMigrationProvider } = require("kysely");
async function migrateToLatest() {
  const db = new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: ${url}${pool} }) }) });
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: path.join(__dirname, "migrations") }) });
  const { error, results } = await migrator.migrateToLatest();
  results?.forEach((it) => {
    if (it.status === "Success") console.log(\`migration "\${it.migrationName}" was executed successfully\`);
    else if (it.status === "Error") console.error(\`failed to execute migration "\${it.migrationName}"\`);
  });
  if (error) {
    console.error("failed to migrate");
    console.error(error);
    process.exit(1);
  }
  await db.destroy();
}
migrateToLatest();
`;

const products = `const { sql } = require("kysely");
exports.up = async (db) => {
  await db.schema.createTable("product")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("sku", "varchar(64)", (c) => c.notNull().unique())
    .addColumn("price_cents", "integer", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.defaultTo(sql\`now()\`).notNull())
    .execute();
};
exports.down = async (db) => { await db.schema.dropTable("product").execute(); };
`;

// express + Kysely API, pino logs.
const api = (
  routes: string,
  pool = "max: 5",
  url = "process.env.DATABASE_URL",
) => `const express = require("express");
const { Pool } = require("pg");
const { Kysely, PostgresDialect, sql } = require("kysely");
const log = require("pino")({ name: "shop" });
const db = new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: ${url}, ${pool} }) }) });
const app = express();
app.use((req, res, next) => { res.on("finish", () => log.info({ req: { method: req.method, url: req.url }, res: { statusCode: res.statusCode } }, "request")); next(); });
app.get("/ping", (req, res) => res.send("pong"));
${routes}
app.use((err, req, res, next) => { log.error(err, "unhandled error"); res.status(500).end(); });
app.listen(process.env.PORT, () => log.info("shop api listening on " + process.env.PORT));
`;

export const kyselyCases: Case[] = [
  {
    id: "kysely-migrator-raw-typo",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "preStart `npm run migrate` (Kysely Migrator on DIRECT_URL); the second migration's sql`` has a typo",
      files: {
        "package.json": pkg(),
        "migrate.js": migrateJs(),
        "migrations/2024_01_01_product.js": products,
        "migrations/2024_02_01_price_check.js": `const { sql } = require("kysely");
exports.up = async (db) => { await sql\`alter table product add constraint price_positive chek (price_cents > 0)\`.execute(db); };
exports.down = async () => {};
`,
      },
      command: "npm run migrate",
    }),
  },
  {
    id: "kysely-migrator-idx-col",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "Kysely Migrator; a migration creates an index on product.category, a column no migration adds",
      files: {
        "package.json": pkg(),
        "migrate.js": migrateJs(),
        "migrations/2024_01_01_product.js": products,
        "migrations/2024_03_01_category_idx.js": `exports.up = async (db) => { await db.schema.createIndex("product_category_idx").on("product").column("category").execute(); };
exports.down = async () => {};
`,
      },
      command: "node migrate.js",
    }),
  },
  {
    id: "kysely-migrator-table-twice",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE product (id serial primary key); ALTER TABLE product OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "schema",
        expected: "MIGRATION_FAILED",
        how: "Kysely Migrator on a database where product was created earlier by hand; createTable without ifNotExists",
        files: {
          "package.json": pkg(),
          "migrate.js": migrateJs(),
          "migrations/2024_01_01_product.js": products,
        },
        command: "npm run migrate --silent",
      };
    },
  },
  {
    id: "kysely-migrator-history-gap",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE kysely_migration (name varchar(255) primary key, timestamp varchar(255) not null); CREATE TABLE kysely_migration_lock (id varchar(255) primary key, is_locked integer not null default 0);
         INSERT INTO kysely_migration_lock VALUES ('migration_lock', 0);
         INSERT INTO kysely_migration VALUES ('2024_01_01_product', '2024-01-01T00:00:00.000Z'), ('2024_01_15_orders', '2024-01-15T00:00:00.000Z');
         ALTER TABLE kysely_migration OWNER TO "${ctx.project.role}"; ALTER TABLE kysely_migration_lock OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "schema",
        expected: "MIGRATION_FAILED",
        how: "Kysely Migrator where kysely_migration lists a migration (2024_01_15_orders) whose file was removed from the repo",
        files: {
          "package.json": pkg(),
          "migrate.js": migrateJs(),
          "migrations/2024_01_01_product.js": products,
          "migrations/2024_02_01_stock.js": `exports.up = async (db) => { await db.schema.alterTable("product").addColumn("stock", "integer").execute(); };\nexports.down = async () => {};\n`,
        },
        command: "npm run migrate",
      };
    },
  },
  {
    id: "kysely-migrator-copied-url",
    build: (ctx) => ({
      step: "schema",
      expected: "DATABASE_AUTH_FAILED",
      how: "Kysely Migrator reading DB_URL (a URL copied from another project's settings, wrong password) through PgBouncer",
      files: {
        "package.json": pkg(),
        "migrate.js": migrateJs("process.env.DB_URL"),
        "migrations/2024_01_01_product.js": products,
      },
      env: { DB_URL: ctx.withPassword(ctx.project.databaseUrl, "Zq8-copied-from-other-project") },
      command: "npm run migrate",
    }),
  },
  {
    id: "kysely-boot-catalog-cache",
    build: () => ({
      step: "start",
      expected: "RELATION_DOES_NOT_EXIST",
      how: "Kysely app with no preStart: the boot-time catalog cache selects from product on the empty database",
      files: {
        "package.json": pkg(),
        "server.js": `const { Pool } = require("pg");
const { Kysely, PostgresDialect } = require("kysely");
const db = new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: process.env.DATABASE_URL, max: 5 }) }) });
(async () => {
  console.log("> shop: loading catalog into memory");
  const items = await db.selectFrom("product").select(["id", "sku", "price_cents"]).execute();
  console.log("> shop: catalog has " + items.length + " products");
})();
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "kysely-serve-discount-field",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE product (id serial primary key, sku varchar(64) unique not null, price_cents integer not null); ALTER TABLE product OWNER TO "${ctx.project.role}"; INSERT INTO product (sku, price_cents) VALUES ('A-1', 1200);`,
      );
      return {
        step: "runtime",
        expected: "SCHEMA_MISMATCH",
        how: "express + Kysely API selecting product.discount_pct (migration not deployed); 500s logged by pino, server keeps serving",
        files: {
          "package.json": pkg(),
          "server.js": api(`app.get("/products", async (req, res, next) => {
  try { res.json(await db.selectFrom("product").select(["id", "sku", "price_cents", "discount_pct"]).execute()); } catch (e) { next(e); }
});`),
        },
        command: serveAndHit("node server.js", ["/ping", "/products", "/products", "/ping"]),
        timeoutMs: 6000,
        stillRunning: true,
      };
    },
  },
  {
    id: "kysely-boot-compose-name",
    build: () => ({
      step: "start",
      expected: "DATABASE_UNREACHABLE",
      how: "Kysely app whose db.js falls back to the docker-compose host `db` when PG_HOST is unset (ENOTFOUND)",
      files: {
        "package.json": pkg(),
        "server.js": `const { Pool } = require("pg");
const { Kysely, PostgresDialect, sql } = require("kysely");
const pool = new Pool({ host: process.env.PG_HOST || "db", port: 5432, user: "shop", password: "shop", database: "shop", max: 5 });
const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
sql\`select 1\`.execute(db).then(() => console.log("db ok")).catch((err) => { console.error("Failed to connect to database:", err); process.exit(1); });
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "kysely-serve-slow-checkout",
    build: (ctx) => {
      const port = extraBouncer("tiny");
      ctx.su(
        `CREATE TABLE product (id serial primary key, sku text, price_cents int); ALTER TABLE product OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "runtime",
        expected: "POOL_EXHAUSTED",
        how: "Kysely transaction holding PgBouncer's single server connection (default_pool_size 1) for 9s; another request waits past query_wait_timeout, PgBouncer closes that client and the pg Pool (no error listener) crashes the process",
        files: {
          "package.json": pkg(),
          "server.js": api(`app.post("/reprice", async (req, res, next) => {
  try {
    await db.transaction().execute(async (trx) => {
      await trx.updateTable("product").set({ price_cents: sql\`price_cents * 2\` }).execute();
      await sql\`select pg_sleep(9)\`.execute(trx);
    });
    res.send("done");
  } catch (e) { next(e); }
});
app.get("/products", async (req, res, next) => {
  try { res.json(await db.selectFrom("product").selectAll().execute()); } catch (e) { next(e); }
});`),
        },
        env: { DATABASE_URL: ctx.onPort(ctx.project.databaseUrl, port) },
        command: `node server.js & S=$!; ${READY}; curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/reprice" & sleep 0.5; curl -s -o /dev/null "http://127.0.0.1:$PORT/products"; curl -s -o /dev/null "http://127.0.0.1:$PORT/ping"; wait $S`,
        timeoutMs: 15000,
      };
    },
  },
  {
    id: "kysely-serve-fixture-reset",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE product (id serial primary key, sku text, price_cents int); ALTER TABLE product OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "runtime",
        expected: "BOUNCER_CONFIG_ERROR",
        how: "Kysely API with a /fixtures/reset route running DROP SCHEMA public CASCADE; new pooled connections then fail at PgBouncer",
        files: {
          "package.json": pkg(),
          "server.js": api(
            `app.post("/fixtures/reset", async (req, res, next) => {
  try { await sql\`drop schema public cascade\`.execute(db); await sql\`create schema public\`.execute(db); log.warn("fixtures reset: all tables dropped"); res.send("ok"); } catch (e) { next(e); }
});
app.get("/products", async (req, res, next) => {
  try { res.json(await db.selectFrom("product").selectAll().execute()); } catch (e) { next(e); }
});`,
            "max: 5, idleTimeoutMillis: 200",
          ),
        },
        command: serveAndHit(
          "node server.js",
          ["/products", "POST /fixtures/reset", "/products", "/products"],
          1,
        ),
        timeoutMs: 8000,
        stillRunning: true,
      };
    },
  },
  {
    id: "kysely-boot-pool-tls",
    build: () => ({
      step: "start",
      expected: "DATABASE_SSL_MISMATCH",
      how: "Kysely's pg Pool configured with ssl: true, connecting to DATABASE_URL",
      files: {
        "package.json": pkg(),
        "server.js": api(
          `app.get("/products", async (req, res, next) => {
  try { res.json(await db.selectFrom("product").selectAll().execute()); } catch (e) { next(e); }
});
sql\`select 1\`.execute(db).then(() => log.info("database connected")).catch((err) => { log.fatal({ err }, "cannot reach database"); process.exit(1); });`,
          "max: 5, ssl: true",
        ),
      },
      command: "npm start",
    }),
  },
  {
    id: "kysely-boot-migrator-in-server",
    build: () => ({
      step: "start",
      expected: "MIGRATION_FAILED",
      how: "Kysely app running migrateToLatest() at boot (DIRECT_URL) before listening; a data migration updates a column that does not exist",
      files: {
        "package.json": pkg(),
        "migrations/2024_01_01_product.js": products,
        "migrations/2024_04_01_fill_currency.js": `exports.up = async (db) => { await db.updateTable("product").set({ currency: "EUR" }).where("currency", "is", null).execute(); };\nexports.down = async () => {};\n`,
        "server.js": `const path = require("path");
const { promises: fs } = require("fs");
const { Pool } = require("pg");
const { Kysely, PostgresDialect, Migrator, FileMigrationProvider } = require("kysely");
const log = require("pino")({ name: "shop" });
const db = new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: process.env.DIRECT_URL, max: 2 }) }) });
(async () => {
  log.info("applying migrations");
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: path.join(__dirname, "migrations") }) });
  const { error, results } = await migrator.migrateToLatest();
  for (const r of results ?? []) log.info({ migration: r.migrationName, status: r.status }, "migration result");
  if (error) throw error;
  require("http").createServer((q, s) => s.end("ok")).listen(process.env.PORT, () => log.info("listening"));
})().catch((err) => { log.fatal({ err }, "startup failed"); process.exit(1); });
`,
      },
      command: "npm start",
    }),
  },
];
