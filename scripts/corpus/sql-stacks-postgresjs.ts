/** postgres.js (postgres 3) failures: migration scripts, boots and runtime through PgBouncer. */
import { type Case, extraBouncer, READY, serveAndHit } from "./sql-stacks-lib.js";

const pkg = (name: string) =>
  JSON.stringify(
    {
      name,
      version: "2.0.0",
      private: true,
      type: "module",
      scripts: { "db:migrate": "node db/migrate.js", start: "node src/index.js" },
    },
    null,
    2,
  );

// Hand-written migration runner on DIRECT_URL: each db/migrations/*.sql in one transaction.
const migrateJs = `import postgres from "postgres";
import { readdir, readFile } from "node:fs/promises";
const sql = postgres(process.env.DIRECT_URL, { max: 1, onnotice: (n) => console.log("notice:", n.message) });
const dir = new URL("./migrations/", import.meta.url);
try {
  await sql\`create table if not exists _migrations (name text primary key, run_at timestamptz default now())\`;
  const ran = new Set((await sql\`select name from _migrations\`).map((r) => r.name));
  for (const file of (await readdir(dir)).sort()) {
    if (ran.has(file)) continue;
    process.stdout.write("-> " + file + " ... ");
    await sql.begin(async (tx) => {
      await tx.unsafe(await readFile(new URL(file, dir), "utf8"));
      await tx\`insert into _migrations (name) values (\${file})\`;
    });
    console.log("done");
  }
  console.log("all migrations applied");
} catch (err) {
  console.log("FAILED");
  console.error(err);
  process.exitCode = 1;
} finally {
  await sql.end();
}
`;

const m1 = `create table if not exists notes (
  id serial primary key,
  owner text not null,
  title text not null,
  body text,
  created_at timestamptz default now()
);
`;

// A plain node:http server with JSON lines logging (no framework).
const httpApp = (sqlOpts: string, handler: string, boot = "") => `import http from "node:http";
import postgres from "postgres";
const sql = postgres(process.env.DATABASE_URL, { ${sqlOpts} });
const log = (level, msg, extra = {}) => console.log(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...extra }));
${boot}
const server = http.createServer(async (req, res) => {
  const started = Date.now();
  try {
    ${handler}
  } catch (err) {
    log("error", "unhandled error in handler", { path: req.url, error: err.message, code: err.code, severity: err.severity });
    res.writeHead(500).end("internal error");
  } finally {
    log("info", "http", { method: req.method, path: req.url, status: res.statusCode, ms: Date.now() - started });
  }
});
server.listen(Number(process.env.PORT), () => log("info", "notes service up", { port: Number(process.env.PORT) }));
`;

export const postgresJsCases: Case[] = [
  {
    id: "pgjs-runner-bad-sql",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "preStart `npm run db:migrate` (postgres.js runner on DIRECT_URL); the second file misspells a type (timestampz)",
      files: {
        "package.json": pkg("notes"),
        "db/migrate.js": migrateJs,
        "db/migrations/0001_notes.sql": m1,
        "db/migrations/0002_tags.sql":
          "create table tags (id serial primary key, note_id int references notes(id), label text not null, created_at timestampz default now());\n",
      },
      command: "npm run db:migrate",
    }),
  },
  {
    id: "pgjs-runner-view-col",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "postgres.js migration runner; a view in migration 0003 selects notes.author (the column is owner)",
      files: {
        "package.json": pkg("notes"),
        "db/migrate.js": migrateJs,
        "db/migrations/0001_notes.sql": m1,
        "db/migrations/0002_seed.sql":
          "insert into notes (owner, title) values ('system', 'Welcome') on conflict do nothing;\n",
        "db/migrations/0003_recent_view.sql":
          "create view recent_notes as select id, author, title from notes order by created_at desc limit 50;\n",
      },
      command: "node db/migrate.js",
    }),
  },
  {
    id: "pgjs-runner-old-password",
    build: (ctx) => ({
      step: "schema",
      expected: "DATABASE_AUTH_FAILED",
      how: "postgres.js migration runner given a MIGRATION_URL (pooled, from a committed .env) with a stale password; PgBouncer rejects it",
      files: {
        "package.json": pkg("notes"),
        "db/migrate.js": migrateJs.replace(
          "process.env.DIRECT_URL",
          "process.env.MIGRATION_URL || process.env.DIRECT_URL",
        ),
        "db/migrations/0001_notes.sql": m1,
      },
      env: { MIGRATION_URL: ctx.withPassword(ctx.project.databaseUrl, "hunter2") },
      command: "npm run db:migrate",
    }),
  },
  {
    id: "pgjs-boot-empty-db",
    build: () => ({
      step: "start",
      expected: "RELATION_DOES_NOT_EXIST",
      how: "postgres.js app whose preStart was never set: it reads settings at boot from a table that was never created",
      files: {
        "package.json": pkg("notes"),
        "src/index.js": `import postgres from "postgres";
const sql = postgres(process.env.DATABASE_URL, { max: 5 });
console.log("notes service: loading settings");
const [settings] = await sql\`select * from app_settings where id = 1\`;
console.log("settings", settings);
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "pgjs-serve-renamed-field",
    build: (ctx) => {
      ctx.su(
        `${m1} ALTER TABLE notes OWNER TO "${ctx.project.role}"; INSERT INTO notes (owner, title) VALUES ('ann', 'hello');`,
      );
      return {
        step: "runtime",
        expected: "SCHEMA_MISMATCH",
        how: "postgres.js service querying notes.pinned, added in a migration that was never committed; it logs each failure and keeps serving",
        files: {
          "package.json": pkg("notes"),
          "src/index.js": httpApp(
            "max: 5",
            `if (req.url === "/healthz") { res.end("ok"); return; }
    const rows = await sql\`select id, title, pinned from notes where owner = \${"ann"} order by pinned desc, id\`;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(rows));`,
          ),
        },
        command: serveAndHit("node src/index.js", ["/healthz", "/notes", "/notes", "/healthz"]),
        timeoutMs: 6000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pgjs-serve-default-options",
    build: (ctx) => {
      const port = extraBouncer("noprep");
      ctx.su(
        `${m1} ALTER TABLE notes OWNER TO "${ctx.project.role}"; INSERT INTO notes (owner, title) SELECT 'u' || (g % 5), 'n' || g FROM generate_series(1,100) g;`,
      );
      return {
        step: "runtime",
        expected: "PREPARED_STATEMENT_CONFLICT",
        how: "postgres.js with its default prepare: true, max 10, under concurrent requests through a transaction-mode PgBouncer with max_prepared_statements = 0",
        files: {
          "package.json": pkg("notes"),
          "src/index.js": httpApp(
            "max: 10",
            `const owner = "u" + (Number(new URL(req.url, "http://x").searchParams.get("o")) % 5);
    const rows = await sql\`select id, title, pg_sleep(0.02) from notes where owner = \${owner} limit 10\`;
    const [{ n }] = await sql\`select count(*)::int as n from notes where owner = \${owner}\`;
    res.writeHead(200).end(JSON.stringify({ shown: rows.length, total: n }));`,
          ),
        },
        env: { DATABASE_URL: ctx.onPort(ctx.project.databaseUrl, port) },
        command: `node src/index.js & ${READY}; for r in 1 2 3 4 5 6 7 8; do for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -o /dev/null "http://127.0.0.1:$PORT/notes?o=$i" & done; sleep 0.4; done; wait`,
        timeoutMs: 14000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pgjs-serve-begin-workers",
    build: (ctx) => {
      const port = extraBouncer("noprep");
      ctx.su(`${m1} ALTER TABLE notes OWNER TO "${ctx.project.role}";`);
      return {
        step: "runtime",
        expected: "PREPARED_STATEMENT_CONFLICT",
        how: "postgres.js (prepare: true explicitly) creating notes in sql.begin transactions, several workers, through a PgBouncer without prepared-statement support; errors are caught per job and logged with console.error",
        files: {
          "package.json": pkg("notes"),
          "src/index.js": `import postgres from "postgres";
import http from "node:http";
const sql = postgres(process.env.DATABASE_URL, { max: 4, prepare: true });
let n = 0;
async function job(i) {
  try {
    await sql.begin(async (tx) => {
      const [row] = await tx\`insert into notes (owner, title) values (\${"worker" + (i % 3)}, \${"job " + i}) returning id\`;
      await tx\`update notes set body = \${"processed"} where id = \${row.id}\`;
    });
    n++;
  } catch (err) {
    console.error("job " + i + " failed:", err);
  }
}
http.createServer((q, r) => r.end(String(n))).listen(process.env.PORT, () => console.log("importer listening, processed=0"));
setInterval(() => { for (let i = 0; i < 6; i++) job(Date.now() + i); }, 300);
setInterval(() => console.log("processed " + n + " jobs"), 2000);
`,
        },
        env: { DATABASE_URL: ctx.onPort(ctx.project.databaseUrl, port) },
        command: "node src/index.js",
        timeoutMs: 5000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pgjs-boot-compose-host",
    build: () => ({
      step: "start",
      expected: "DATABASE_UNREACHABLE",
      how: "postgres.js app with a committed config pointing at the docker-compose host name `postgres` (ENOTFOUND)",
      files: {
        "package.json": pkg("notes"),
        "src/config.js": `export default { db: process.env.PG_URL ?? "postgres://notes:notes@postgres:5432/notes" };\n`,
        "src/index.js": `import postgres from "postgres";
import config from "./config.js";
const sql = postgres(config.db, { max: 5, connect_timeout: 5 });
console.log("[notes] starting up");
const [{ version }] = await sql\`select version()\`;
console.log("[notes] connected:", version);
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "pgjs-boot-tls-require",
    build: () => ({
      step: "start",
      expected: "DATABASE_SSL_MISMATCH",
      how: "postgres.js with ssl: 'require' (from a managed-Postgres tutorial) against DATABASE_URL",
      files: {
        "package.json": pkg("notes"),
        "src/index.js": httpApp(
          "max: 5, ssl: 'require'",
          `res.end("ok");`,
          `log("info", "checking database");
try { await sql\`select 1\`; log("info", "database ready"); } catch (err) { log("fatal", "database check failed", { error: String(err) }); console.error(err); process.exit(1); }`,
        ),
      },
      command: "npm start",
    }),
  },
  {
    id: "pgjs-serve-bouncer-wait",
    build: (ctx) => {
      const port = extraBouncer("tiny");
      ctx.su(`${m1} ALTER TABLE notes OWNER TO "${ctx.project.role}";`);
      return {
        step: "runtime",
        expected: "POOL_EXHAUSTED",
        how: "postgres.js: a report query holds the pool's only server connection (default_pool_size 1) for 8s, another query waits past query_wait_timeout (3s); the FATAL it gets is logged, then an unhandled rejection from the same pool error ends the process",
        files: {
          "package.json": pkg("notes"),
          "src/index.js": httpApp(
            "max: 3",
            `if (req.url === "/report") { await sql\`select pg_sleep(8)\`; res.end("report"); return; }
    const rows = await sql\`select count(*)::int as n from notes\`;
    res.end(JSON.stringify(rows[0]));`,
          ),
        },
        env: { DATABASE_URL: ctx.onPort(ctx.project.databaseUrl, port) },
        command: `node src/index.js & S=$!; ${READY}; curl -s -o /dev/null "http://127.0.0.1:$PORT/report" & sleep 0.4; curl -s -o /dev/null "http://127.0.0.1:$PORT/count"; curl -s -o /dev/null "http://127.0.0.1:$PORT/count"; wait $S`,
        timeoutMs: 15000,
      };
    },
  },
  {
    id: "pgjs-serve-after-nuke",
    build: (ctx) => {
      ctx.su(`${m1} ALTER TABLE notes OWNER TO "${ctx.project.role}";`);
      return {
        step: "runtime",
        expected: "BOUNCER_CONFIG_ERROR",
        how: "postgres.js test-reset route runs DROP SCHEMA public CASCADE; with idle_timeout 1 the next requests open new connections through PgBouncer",
        files: {
          "package.json": pkg("notes"),
          "src/index.js": httpApp(
            "max: 3, idle_timeout: 1",
            `if (req.url === "/reset") { await sql.unsafe("drop schema public cascade; create schema public;"); log("info", "database reset for e2e"); res.end("reset"); return; }
    const rows = await sql\`select id, title from notes limit 5\`;
    res.end(JSON.stringify(rows));`,
          ),
        },
        command: serveAndHit("node src/index.js", ["/notes", "/reset", "/notes", "/notes"], 2),
        timeoutMs: 11000,
        stillRunning: true,
      };
    },
  },
  {
    id: "pgjs-boot-role-cap-direct",
    build: (ctx) => {
      ctx.su(`ALTER ROLE "${ctx.project.role}" CONNECTION LIMIT 1`);
      return {
        step: "start",
        expected: "POOL_EXHAUSTED",
        how: "postgres.js on DIRECT_URL (max 10) running boot queries in parallel against a role with CONNECTION LIMIT 1",
        files: {
          "package.json": pkg("notes"),
          "src/index.js": `import postgres from "postgres";
const sql = postgres(process.env.DIRECT_URL, { max: 10 });
console.info("preloading caches...");
const [a, b, c] = await Promise.all([
  sql\`select pg_sleep(0.3), 1 as a\`,
  sql\`select pg_sleep(0.3), 2 as b\`,
  sql\`select pg_sleep(0.3), 3 as c\`,
]);
console.info("caches ready", a, b, c);
`,
        },
        command: "npm start",
      };
    },
  },
  {
    id: "pgjs-serve-conflicts-then-job",
    build: (ctx) => {
      ctx.su(
        `create table users (id serial primary key, email text unique); ALTER TABLE users OWNER TO "${ctx.project.role}"; insert into users (email) values ('a@b.c');`,
      );
      return {
        step: "runtime",
        expected: "RELATION_DOES_NOT_EXIST",
        how: "postgres.js service: duplicate-email inserts logged as handled errors (word error in JSON logs), then a scheduled digest job queries a table that was never created and the process crashes",
        files: {
          "package.json": pkg("notes"),
          "src/index.js": httpApp(
            "max: 5",
            `try { await sql\`insert into users (email) values (\${"a@b.c"})\`; res.end("created"); }
    catch (err) { if (err.code !== "23505") throw err; log("warn", "duplicate signup ignored", { error: err.message }); res.writeHead(409).end("exists"); }`,
            `setTimeout(async () => { log("info", "digest job: starting"); const due = await sql\`select * from digests where due_at < now()\`; log("info", "digest job: sent", { n: due.length }); }, 2500);`,
          ),
        },
        command: serveAndHit(
          "node src/index.js",
          ["POST /signup", "POST /signup", "POST /signup"],
          0.3,
        ),
        timeoutMs: 8000,
      };
    },
  },
  {
    id: "pgjs-boot-local-port",
    build: () => ({
      step: "start",
      expected: "DATABASE_UNREACHABLE",
      how: "postgres.js app with a committed .env-style default URL on localhost:5433 (the developer's docker port); ECONNREFUSED at the first query",
      files: {
        "package.json": pkg("notes"),
        "src/index.js": `import postgres from "postgres";
const url = process.env.NOTES_DB ?? "postgres://notes:notes@localhost:5433/notes";
const sql = postgres(url, { max: 5, onnotice: () => {} });
console.log(new Date().toISOString(), "[info] notes: connecting");
try {
  await sql\`select 1\`;
} catch (error) {
  console.error(new Date().toISOString(), "[error] notes: cannot connect to postgres", error);
  process.exit(1);
}
`,
      },
      command: "npm start",
    }),
  },
];
