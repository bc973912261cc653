/**
 * Drizzle failures (drizzle-orm 0.44 + drizzle-kit 0.31 on node-postgres), each on a database
 * the platform provisioned: preStart `drizzle-kit push` / `migrate` / `generate`, drizzle-orm's
 * migrator in a script or at boot, and apps failing at start or while serving through PgBouncer.
 * drizzle-kit 0.31 exits 0 when push refuses or fails and when generate cannot load the schema, so
 * those cases run as a preStart chain whose next command (the app's own check) fails.
 *
 *   npx tsx scripts/corpus/drizzle.ts [case-id-filter,...]
 *
 * Needs the template /tmp/corpus-templates/drizzle: the drizzle-app fixture's package.json and
 * package-lock.json with `npm ci`.
 */
import { changeUrl, type DbCase, runAll, sql } from "./prisma-common.js";

const FILE = "drizzle";
const TEMPLATE = "/tmp/corpus-templates/drizzle";

const CONFIG = `import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.js",
  out: "./drizzle",
  dbCredentials: { url: process.env.DATABASE_URL },
});
`;
const CONFIG_TS = CONFIG.replace("schema.js", "schema.ts");

const NOTES = `import { integer, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";

export const notes = pgTable("notes", {
  id: serial("id").primaryKey(),
  title: text("title").notNull(),
  body: text("body").notNull(),
  legacyCode: text("legacy_code"),
  createdAt: timestamp("created_at").defaultNow().notNull(),
});

export const tags = pgTable("tags", {
  id: serial("id").primaryKey(),
  noteId: integer("note_id").references(() => notes.id),
  label: text("label").notNull(),
});
`;
const NOTES_ROWS = `INSERT INTO notes(title, body, legacy_code) VALUES ('a','first','L-1'),('b','second','L-2'),('c','third',NULL);
INSERT INTO tags(note_id, label) VALUES (1,'work'),(2,'home');`;

// Run after a push in preStart: the app's own guard that the schema it needs is there.
const CHECK = `import pg from "pg";
const want = JSON.parse(process.argv[2]);
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
const { rows } = await client.query(
  "select table_name, column_name, data_type from information_schema.columns where table_schema = 'public'",
);
await client.end();
// "table.column" or "table.column:type"
const have = new Set(rows.flatMap((r) => [r.table_name + "." + r.column_name, r.table_name + "." + r.column_name + ":" + r.data_type]));
const missing = want.filter((c) => !have.has(c));
if (missing.length) {
  console.error("check-schema: expected columns missing after push: " + missing.join(", "));
  process.exit(1);
}
console.log("check-schema: ok");
`;

const PKG_SCRIPT = (scripts: Record<string, string>) =>
  `node -e 'const p=require("./package.json");p.type="module";p.scripts=${JSON.stringify(scripts)};require("fs").writeFileSync("package.json",JSON.stringify(p,null,2))'`;

/** Pushed once with `before`, rows added, then the schema file replaced by `after`. */
function pushChange(o: {
  id: string;
  expected: DbCase["expected"];
  how: string;
  after: string;
  command: string;
  rows?: string;
  before?: string;
  extra?: Record<string, string>;
}): DbCase {
  return {
    id: o.id,
    stack: "drizzle",
    step: "schema",
    expected: o.expected,
    how: o.how,
    urls: "schema",
    template: TEMPLATE,
    files: {
      "drizzle.config.js": CONFIG,
      "src/db/schema.js": o.before ?? NOTES,
      "src/db/next.js": o.after,
      "scripts/check-schema.mjs": CHECK,
      ...o.extra,
    },
    prepare: [
      PKG_SCRIPT({ start: "node src/server.js" }),
      "drizzle-kit push --force >/dev/null",
      sql(o.rows ?? NOTES_ROWS),
      "mv src/db/next.js src/db/schema.js",
    ],
    command: o.command,
  };
}

/** Committed SQL migrations with their journal, as `drizzle-kit generate` writes them. */
function migrations(list: Record<string, string>, journalTags?: string[]): Record<string, string> {
  const files: Record<string, string> = {};
  const tags = journalTags ?? Object.keys(list);
  for (const [tag, text] of Object.entries(list)) files[`drizzle/${tag}.sql`] = text;
  files["drizzle/meta/_journal.json"] = `${JSON.stringify(
    {
      version: "7",
      dialect: "postgresql",
      entries: tags.map((tag, idx) => ({
        idx,
        version: "7",
        when: 1796580246623 + idx * 86_400_000,
        tag,
        breakpoints: true,
      })),
    },
    null,
    2,
  )}\n`;
  return files;
}

const INIT_SQL = `CREATE TABLE "notes" (
	"id" serial PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"id" serial PRIMARY KEY NOT NULL,
	"note_id" integer,
	"label" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tags" ADD CONSTRAINT "tags_note_id_notes_id_fk" FOREIGN KEY ("note_id") REFERENCES "public"."notes"("id") ON DELETE no action ON UPDATE no action;`;

function migrateCase(o: {
  id: string;
  expected: DbCase["expected"];
  how: string;
  files: Record<string, string>;
  prepare?: string[];
  command?: string;
  env?: DbCase["env"];
}): DbCase {
  return {
    id: o.id,
    stack: "drizzle",
    step: "schema",
    expected: o.expected,
    how: o.how,
    urls: "schema",
    template: TEMPLATE,
    files: { "drizzle.config.js": CONFIG, "src/db/schema.js": NOTES, ...o.files },
    prepare: o.prepare,
    command: o.command ?? "drizzle-kit migrate",
    env: o.env,
  };
}

// The app's database module: drizzle over a pg Pool on the injected URL.
const DB = `import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema.js";
export const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.PG_POOL_MAX ?? 10),
  connectionTimeoutMillis: Number(process.env.PG_CONNECT_TIMEOUT ?? 0),
});
export const db = drizzle(pool, { schema });
`;

// An express-style request logger around node:http, as many small apps log.
function server(route: string, imports = ""): string {
  return `import http from "node:http";
import { eq, sql } from "drizzle-orm";
import { db, pool } from "./db/index.js";
import { notes, tags } from "./db/schema.js";
${imports}
const port = Number(process.env.PORT ?? 3000);
const stamp = () => new Date().toISOString();
http.createServer(async (req, res) => {
  const t0 = performance.now();
  try {
    const body = await (${route})(req);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  } catch (error) {
    console.error(stamp() + " [api] error handling " + req.method + " " + req.url + ":", error);
    res.writeHead(500).end("error");
  } finally {
    console.log(stamp() + " " + req.method + " " + req.url + " " + res.statusCode + " - " + (performance.now() - t0).toFixed(3) + " ms");
  }
}).listen(port, function () {
  const bound = this.address().port;
  console.log(stamp() + " [api] listening on :" + bound + " (NODE_ENV=" + process.env.NODE_ENV + ")");
  const paths = ["/health", "/notes", "/notes/1", "/notes", "/tags"];
  paths.forEach((p, i) => setTimeout(() => fetch("http://127.0.0.1:" + bound + p).catch(() => {}), 300 + i * 250));
});
`;
}

function appCase(o: {
  id: string;
  step: "start" | "runtime";
  expected: DbCase["expected"];
  how: string;
  main: string;
  prepare?: string[];
  env?: DbCase["env"];
  schema?: string;
  timeoutMs?: number;
}): DbCase {
  return {
    id: o.id,
    stack: "drizzle",
    step: o.step,
    expected: o.expected,
    how: o.how,
    urls: "app",
    template: TEMPLATE,
    files: {
      "drizzle.config.js": CONFIG,
      "src/db/schema.js": o.schema ?? NOTES,
      "src/db/index.js": DB,
      "src/server.js": o.main,
    },
    prepare: [PKG_SCRIPT({ start: "node src/server.js" }), ...(o.prepare ?? [])],
    command: "npm start",
    env: (p) => ({ PORT: "0", ...o.env?.(p) }),
    stillRunning: o.step === "runtime",
    timeoutMs: o.timeoutMs ?? (o.step === "runtime" ? 4500 : 30000),
  };
}

const PUSH_DIRECT = `DATABASE_URL="$DIRECT_URL" drizzle-kit push --force >/dev/null`;

const cases: DbCase[] = [
  // --- drizzle-kit push refusing data loss (exit 0), caught by the app's next command ---
  pushChange({
    id: "drizzle-push-col-drop-check",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "preStart `drizzle-kit push && node scripts/check-schema.mjs`: a column with values removed and one added; push refuses without a TTY, exits 0, the check fails",
    after: NOTES.replace('  legacyCode: text("legacy_code"),\n', '  slug: text("slug"),\n'),
    command: `drizzle-kit push && node scripts/check-schema.mjs '["notes.slug"]'`,
  }),
  pushChange({
    id: "drizzle-push-strict-check",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "preStart `drizzle-kit push --strict --verbose && npm run check:db`: a table with rows removed from the schema plus a new column",
    after: NOTES.replace(/\nexport const tags[\s\S]*$/, "\n").replace(
      '  legacyCode: text("legacy_code"),\n',
      '  legacyCode: text("legacy_code"),\n  pinned: text("pinned"),\n',
    ),
    command: `${PKG_SCRIPT({ "check:db": 'node scripts/check-schema.mjs "$CHECK_COLUMNS"' })} && export CHECK_COLUMNS='["notes.pinned"]' && drizzle-kit push --strict --verbose && npm run check:db`,
  }),
  pushChange({
    id: "drizzle-push-table-gone-check",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "preStart `drizzle-kit push; node scripts/check-schema.mjs`: the tags table (with rows) dropped from the schema, a new table added",
    after: NOTES.replace(
      /\nexport const tags[\s\S]*$/,
      `
export const labels = pgTable("labels", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
});
`,
    ),
    command: `drizzle-kit push; node scripts/check-schema.mjs '["labels.name"]'`,
  }),
  pushChange({
    id: "drizzle-push-col-rename-prompt",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "drizzle-kit push where a column was renamed in the schema: drizzle-kit needs to ask 'created or renamed' and has no TTY",
    after: NOTES.replace(
      '  body: text("body").notNull(),\n',
      '  content: text("content").notNull(),\n',
    ),
    command: `drizzle-kit push && node scripts/check-schema.mjs '["notes.content"]'`,
  }),
  pushChange({
    id: "drizzle-push-unique-dupes",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "drizzle-kit push adding a unique constraint on a column whose rows share a value",
    after: NOTES.replace(
      '  title: text("title").notNull(),\n',
      '  title: text("title").notNull().unique(),\n  summary: text("summary"),\n',
    ),
    rows: `INSERT INTO notes(title, body) VALUES ('same','a'),('same','b'),('other','c')`,
    command: `drizzle-kit push && node scripts/check-schema.mjs '["notes.title","notes.summary"]' && echo 'schema ok'`,
  }),
  pushChange({
    id: "drizzle-push-type-cast",
    expected: "MIGRATION_FAILED",
    how: "preStart `drizzle-kit push --force --verbose && node scripts/check-schema.mjs`: a text column with words changed to integer; Postgres cannot cast it, drizzle-kit prints the error and exits 0, the check fails",
    after: NOTES.replace(
      '  legacyCode: text("legacy_code"),\n',
      '  legacyCode: integer("legacy_code"),\n',
    ),
    command: `drizzle-kit push --force --verbose && node scripts/check-schema.mjs '["notes.legacy_code:integer"]'`,
  }),
  // --- drizzle-kit push errors ---
  {
    id: "drizzle-push-config-dialect",
    stack: "drizzle",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "drizzle-kit push with a config missing `dialect` (an old 0.20-style config with driver: 'pg')",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "drizzle.config.js": `export default {\n  schema: "./src/db/schema.js",\n  out: "./drizzle",\n  driver: "pg",\n  dbCredentials: { connectionString: process.env.DATABASE_URL },\n};\n`,
      "src/db/schema.js": NOTES,
    },
    command: "drizzle-kit push",
  },
  {
    id: "drizzle-push-no-config",
    stack: "drizzle",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "drizzle-kit push in an app whose config file is named drizzle.config.mjs.bak after a refactor (no config found)",
    urls: "schema",
    template: TEMPLATE,
    files: { "drizzle.config.mjs.bak": CONFIG, "src/db/schema.js": NOTES },
    command: "drizzle-kit push",
  },
  {
    id: "drizzle-push-url-undefined",
    stack: "drizzle",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "drizzle-kit push with dbCredentials.url read from POSTGRES_URL, which the platform does not set",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "drizzle.config.js": CONFIG.replace("process.env.DATABASE_URL", "process.env.POSTGRES_URL"),
      "src/db/schema.js": NOTES,
    },
    command: "drizzle-kit push",
  },
  {
    id: "drizzle-push-port-closed",
    stack: "drizzle",
    step: "schema",
    expected: "DATABASE_UNREACHABLE",
    how: "drizzle-kit push with a URL whose port nothing listens on",
    urls: "schema",
    template: TEMPLATE,
    files: { "drizzle.config.js": CONFIG, "src/db/schema.js": NOTES },
    env: (p) => ({
      DATABASE_URL: changeUrl(p.directUrl, (u) => {
        u.port = "5499";
      }),
    }),
    command: "drizzle-kit push",
  },
  {
    id: "drizzle-push-host-unknown",
    stack: "drizzle",
    step: "schema",
    expected: "DATABASE_UNREACHABLE",
    how: "drizzle-kit push with the docker-compose host `postgres` hard-coded in drizzle.config.ts",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "drizzle.config.ts": CONFIG_TS.replace(
        "process.env.DATABASE_URL",
        '"postgres://app:app@postgres:5432/app"',
      ),
      "src/db/schema.ts": NOTES,
    },
    command: "drizzle-kit push",
  },
  {
    id: "drizzle-push-stale-pw",
    stack: "drizzle",
    step: "schema",
    expected: "DATABASE_AUTH_FAILED",
    how: "drizzle-kit push with a pooled URL whose password is stale (copied into drizzle.config)",
    urls: "schema",
    template: TEMPLATE,
    files: { "drizzle.config.js": CONFIG, "src/db/schema.js": NOTES },
    env: (p) => ({
      DATABASE_URL: changeUrl(p.databaseUrl, (u) => {
        u.password = "old-Password-2025";
      }),
    }),
    command: "drizzle-kit push",
  },
  {
    id: "drizzle-push-tls-param",
    stack: "drizzle",
    step: "schema",
    expected: "DATABASE_SSL_MISMATCH",
    how: "drizzle-kit push with ?sslmode=require appended to the URL (a Neon-style habit); the server has no SSL",
    urls: "schema",
    template: TEMPLATE,
    files: { "drizzle.config.js": CONFIG, "src/db/schema.js": NOTES },
    env: (p) => ({
      DATABASE_URL: changeUrl(p.directUrl, (u) => {
        u.searchParams.set("sslmode", "require");
      }),
    }),
    command: "drizzle-kit push",
  },
  // --- drizzle-kit migrate ---
  migrateCase({
    id: "drizzle-kit-apply-sql-typo",
    expected: "MIGRATION_FAILED",
    how: "drizzle-kit migrate with a hand-edited migration containing a syntax error",
    files: migrations({
      "0000_init": INIT_SQL,
      "0001_tidy_index": `CREATE INDEX "notes_title_idx" ON "notes" USING btree ("title");\n--> statement-breakpoint\nALTER TABLE "notes" ADD COLUMN "archived" boolean DEFAULT false NOT NULL,;`,
    }),
  }),
  migrateCase({
    id: "drizzle-kit-apply-table-exists",
    expected: "MIGRATION_FAILED",
    how: "drizzle-kit migrate on a database an earlier `drizzle-kit push` already created the tables in",
    files: migrations({ "0000_init": INIT_SQL }),
    prepare: ["drizzle-kit push --force >/dev/null"],
  }),
  migrateCase({
    id: "drizzle-kit-apply-journal-extra",
    expected: "MIGRATION_FAILED",
    how: "drizzle-kit migrate where the journal lists a migration whose SQL file was not committed",
    files: migrations({ "0000_init": INIT_SQL }, ["0000_init", "0001_sudden_wolverine"]),
  }),
  migrateCase({
    id: "drizzle-kit-apply-no-journal",
    expected: "MIGRATION_FAILED",
    how: "drizzle-kit migrate with SQL files but the meta folder gitignored (no _journal.json)",
    files: { "drizzle/0000_init.sql": INIT_SQL },
  }),
  migrateCase({
    id: "drizzle-kit-apply-col-in-sql",
    expected: "MIGRATION_FAILED",
    how: "drizzle-kit migrate where a migration backfills from a column no migration created",
    files: migrations({
      "0000_init": INIT_SQL,
      "0001_slugs": `ALTER TABLE "notes" ADD COLUMN "slug" text;\n--> statement-breakpoint\nUPDATE "notes" SET "slug" = lower("headline");`,
    }),
  }),
  migrateCase({
    id: "drizzle-kit-apply-dup-col",
    expected: "MIGRATION_FAILED",
    how: "drizzle-kit migrate where two branches' migrations both add the same column",
    files: migrations({
      "0000_init": INIT_SQL,
      "0001_add_pinned": `ALTER TABLE "notes" ADD COLUMN "pinned" boolean DEFAULT false NOT NULL;`,
      "0002_pinned_notes": `ALTER TABLE "notes" ADD COLUMN "pinned" boolean DEFAULT false;\n--> statement-breakpoint\nCREATE INDEX "notes_pinned_idx" ON "notes" ("pinned");`,
    }),
  }),
  migrateCase({
    id: "drizzle-kit-apply-port",
    expected: "DATABASE_UNREACHABLE",
    how: "drizzle-kit migrate with a URL pointing at port 5433, where nothing listens here",
    files: migrations({ "0000_init": INIT_SQL }),
    env: (p) => ({
      DATABASE_URL: changeUrl(p.directUrl, (u) => {
        u.port = "5433";
      }),
    }),
  }),
  migrateCase({
    id: "drizzle-kit-apply-role",
    expected: "DATABASE_AUTH_FAILED",
    how: "drizzle-kit migrate through the pooler with a password from another project",
    files: migrations({ "0000_init": INIT_SQL }),
    env: (p) => ({
      DATABASE_URL: changeUrl(p.databaseUrl, (u) => {
        u.password = "not-this-projects-password";
      }),
    }),
  }),
  migrateCase({
    id: "drizzle-orm-apply-script-dup",
    expected: "MIGRATION_FAILED",
    how: "preStart `node scripts/migrate.mjs` (drizzle-orm's migrate()) where a migration creates an index that exists",
    files: {
      ...migrations({
        "0000_init": INIT_SQL,
        "0001_idx": `CREATE INDEX "tags_label_idx" ON "tags" ("label");`,
        "0002_idx_again": `CREATE INDEX "tags_label_idx" ON "tags" ("label", "note_id");`,
      }),
      "scripts/migrate.mjs": `import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
console.log("[migrate] applying migrations from ./drizzle");
try {
  await migrate(drizzle(pool), { migrationsFolder: "./drizzle" });
  console.log("[migrate] done");
} catch (error) {
  console.error("[migrate] failed:", error);
  process.exitCode = 1;
} finally {
  await pool.end();
}
`,
    },
    command: "node scripts/migrate.mjs",
  }),
  {
    id: "drizzle-boot-apply-sql",
    stack: "drizzle",
    step: "start",
    expected: "MIGRATION_FAILED",
    how: "an app running drizzle-orm's migrate() at boot (DATABASE_URL, pooled) where a migration references a missing table",
    urls: "app",
    template: TEMPLATE,
    files: {
      "drizzle.config.js": CONFIG,
      "src/db/schema.js": NOTES,
      "src/db/index.js": DB,
      ...migrations({
        "0000_init": INIT_SQL,
        "0001_fk": `ALTER TABLE "tags" ADD CONSTRAINT "tags_owner_fk" FOREIGN KEY ("note_id") REFERENCES "public"."owners"("id");`,
      }),
      "src/server.js": `import { migrate } from "drizzle-orm/node-postgres/migrator";
import { db } from "./db/index.js";
console.log(JSON.stringify({ level: "info", msg: "running migrations", folder: "drizzle" }));
await migrate(db, { migrationsFolder: "./drizzle" });
console.log(JSON.stringify({ level: "info", msg: "migrations complete" }));
`,
    },
    prepare: [PKG_SCRIPT({ start: "node src/server.js" })],
    command: "npm start",
    timeoutMs: 30000,
  },
  // --- drizzle-kit generate ---
  {
    id: "drizzle-generate-syntax",
    stack: "drizzle",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "preStart `drizzle-kit generate && drizzle-kit migrate && node scripts/check-schema.mjs` on a schema.ts with a syntax error (generate exits 0, migrate applies nothing, the check fails)",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "drizzle.config.ts": CONFIG_TS,
      "scripts/check-schema.mjs": CHECK,
      "src/db/schema.ts": NOTES.replace(
        '  title: text("title").notNull(),\n',
        '  title: text("title").notNull(\n',
      ),
    },
    command: `drizzle-kit generate && drizzle-kit migrate && node scripts/check-schema.mjs '["notes.title"]'`,
  },
  {
    id: "drizzle-generate-missing-pkg",
    stack: "drizzle",
    step: "schema",
    expected: "MODULE_NOT_FOUND",
    how: "preStart `drizzle-kit generate && drizzle-kit migrate && node scripts/check-schema.mjs` with a schema importing a package not installed (@paralleldrive/cuid2); generate exits 0, the check fails",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "drizzle.config.ts": CONFIG_TS,
      "scripts/check-schema.mjs": CHECK,
      "src/db/schema.ts": `import { createId } from "@paralleldrive/cuid2";\n${NOTES.replace('  id: serial("id").primaryKey(),\n  title', '  id: serial("id").primaryKey(),\n  publicId: text("public_id").$defaultFn(() => createId()),\n  title')}`,
    },
    command: `drizzle-kit generate && drizzle-kit migrate && node scripts/check-schema.mjs '["notes.public_id"]'`,
  },
  // --- start and runtime ---
  appCase({
    id: "drizzle-serve-empty-db",
    step: "runtime",
    expected: "RELATION_DOES_NOT_EXIST",
    how: "a server on a database nothing created tables in (no preStart): requests fail, the server keeps serving",
    main: server(
      "async (req) => req.url === '/health' ? { ok: true } : db.select().from(notes).limit(20)",
    ),
  }),
  appCase({
    id: "drizzle-boot-empty-db",
    step: "start",
    expected: "RELATION_DOES_NOT_EXIST",
    how: "an app that loads settings rows at boot from a database nothing created tables in",
    main: `import { db } from "./db/index.js";
import { tags } from "./db/schema.js";
console.log("[boot] loading tag dictionary (migrations are run by CI, skipping)");
const all = await db.select().from(tags);
console.log("[boot] tags loaded", all.length);
`,
  }),
  appCase({
    id: "drizzle-serve-col-missing",
    step: "runtime",
    expected: "SCHEMA_MISMATCH",
    how: "a server whose schema has a column the database lacks (pushed before the column was added)",
    main: server(
      "async (req) => req.url === '/health' ? { ok: true } : db.select().from(notes).limit(20)",
    ),
    prepare: [PUSH_DIRECT, sql(`ALTER TABLE notes DROP COLUMN legacy_code`)],
  }),
  appCase({
    id: "drizzle-serve-leaked-clients",
    step: "runtime",
    expected: "POOL_EXHAUSTED",
    how: "a server with pg Pool max 2 and a 800 ms connect timeout whose handler checks out a client and never releases it",
    main: server(
      "async (req) => { if (req.url === '/health') return { ok: true }; const c = await pool.connect(); const r = await c.query('select count(*) from notes'); return r.rows[0]; }",
    ),
    prepare: [PUSH_DIRECT],
    env: () => ({ PG_POOL_MAX: "2", PG_CONNECT_TIMEOUT: "800" }),
    timeoutMs: 7000,
  }),
  appCase({
    id: "drizzle-boot-refused",
    step: "start",
    expected: "DATABASE_UNREACHABLE",
    how: "an app whose .env-style config points DATABASE_URL at localhost:5433 (nothing listens); it checks the connection at boot",
    main: `import { sql } from "drizzle-orm";
import { db } from "./db/index.js";
console.log("[db] checking connection...");
await db.execute(sql\`select 1\`);
console.log("[db] ok");
`,
    env: (p) => ({
      DATABASE_URL: changeUrl(p.databaseUrl, (u) => {
        u.hostname = "localhost";
        u.port = "5433";
      }),
    }),
  }),
  appCase({
    id: "drizzle-boot-tls-param",
    step: "start",
    expected: "DATABASE_SSL_MISMATCH",
    how: "an app with ?sslmode=require on the pooled URL (PgBouncer without TLS) checking the connection at boot",
    main: `import { sql } from "drizzle-orm";
import { db } from "./db/index.js";
console.log("starting: production mode, TLS to database");
const r = await db.execute(sql\`select now()\`);
console.log("db time", r.rows[0]);
`,
    env: (p) => ({
      DATABASE_URL: changeUrl(p.databaseUrl, (u) => {
        u.searchParams.set("sslmode", "require");
      }),
    }),
  }),
  appCase({
    id: "drizzle-boot-rotated-pw",
    step: "start",
    expected: "DATABASE_AUTH_FAILED",
    how: "an app with a hard-coded pooled URL whose password was rotated",
    main: `import { db } from "./db/index.js";
import { notes } from "./db/schema.js";
console.log("[api] warming up");
await db.select().from(notes).limit(1);
console.log("[api] ready");
`,
    env: (p) => ({
      DATABASE_URL: changeUrl(p.databaseUrl, (u) => {
        u.password = "rotated-2026-01";
      }),
    }),
  }),
];

await runAll(FILE, cases);
