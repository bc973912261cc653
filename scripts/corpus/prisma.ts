/**
 * Prisma 6.19 failures (JS schema engine and `engineType = "client"` with @prisma/adapter-pg, so
 * every command runs offline), each on a database the platform provisioned: the schema step's
 * `prisma db push`, `prisma migrate deploy`, `prisma generate` and preStart scripts, and apps
 * failing at start or while serving through PgBouncer.
 *
 *   npx tsx scripts/corpus/prisma.ts [case-id-filter]
 *
 * Needs the template /tmp/corpus-templates/prisma619: the prisma-migrate-app fixture's
 * package.json, package-lock.json and prisma.config.ts with `npm ci --ignore-scripts`.
 */
import { changeUrl, type DbCase, runAll, sql } from "./prisma-common.js";

const FILE = "prisma";
const TEMPLATE = "/tmp/corpus-templates/prisma619";

const HEAD = `generator client {
  provider   = "prisma-client-js"
  engineType = "client"
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
`;
const HEAD_DIRECT = HEAD.replace(
  '  url      = env("DATABASE_URL")\n',
  '  url       = env("DATABASE_URL")\n  directUrl = env("DIRECT_URL")\n',
);

const PUSH = "prisma db push --skip-generate";
const LOCK = 'provider = "postgresql"\n';

/** A schema pushed first, rows inserted, then the schema changed and pushed again. */
function pushChange(opts: {
  id: string;
  expected: DbCase["expected"];
  how: string;
  before: string;
  after: string;
  rows: string;
  command?: string;
  files?: Record<string, string>;
}): DbCase {
  return {
    id: opts.id,
    stack: "prisma",
    step: "schema",
    expected: opts.expected,
    how: opts.how,
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": opts.before,
      "prisma/next.prisma": opts.after,
      ...opts.files,
    },
    prepare: [PUSH, sql(opts.rows), "mv prisma/next.prisma prisma/schema.prisma"],
    command: opts.command ?? PUSH,
  };
}

/** Committed migrations applied by `prisma migrate deploy` (preStart). */
function migrations(list: Record<string, string>): Record<string, string> {
  const files: Record<string, string> = { "prisma/migrations/migration_lock.toml": LOCK };
  for (const [name, text] of Object.entries(list))
    files[`prisma/migrations/${name}/migration.sql`] = text;
  return files;
}

const USERS = `${HEAD}
model User {
  id        Int      @id @default(autoincrement())
  email     String
  name      String
  nickname  String?
  createdAt DateTime @default(now())
}
`;

const SHOP = `${HEAD_DIRECT}
enum OrderStatus {
  PENDING
  PAID
  SHIPPED
  CANCELLED
}

model Customer {
  id     Int     @id @default(autoincrement())
  email  String
  orders Order[]
}

model Order {
  id         Int         @id @default(autoincrement())
  status     OrderStatus @default(PENDING)
  total      String
  customerId Int
  customer   Customer    @relation(fields: [customerId], references: [id])
}
`;
const SHOP_ROWS = `INSERT INTO "Customer"(email) VALUES ('a@x.io'),('a@x.io'),('b@x.io');
INSERT INTO "Order"(status, total, "customerId") VALUES ('PAID','12.50',1),('CANCELLED','3.00',2),('SHIPPED','9.99',3);`;

// A server logging like pino, reading through Prisma Client on the pooled URL.
const PRISMA_CLIENT = `import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";
export const prisma = new PrismaClient({
  adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL, max: Number(process.env.PG_POOL_MAX ?? 5), connectionTimeoutMillis: Number(process.env.PG_CONNECT_TIMEOUT ?? 0) }),
});
export const log = (level, msg, extra = {}) =>
  console.log(JSON.stringify({ level, time: Date.now(), pid: process.pid, hostname: "srv-7c9f", msg, ...extra }));
`;

/** An HTTP server that keeps serving and is sent a few requests (runtime cases). */
function serving(route: string): string {
  return `import http from "node:http";
import { prisma, log } from "./db.js";
const port = Number(process.env.PORT ?? 3000);
const server = http.createServer(async (req, res) => {
  const started = Date.now();
  try {
    const body = await (${route})(req);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    log(30, "request completed", { req: { method: req.method, url: req.url }, res: { statusCode: 200 }, responseTime: Date.now() - started });
  } catch (err) {
    console.error(err);
    res.writeHead(500).end("internal error");
    log(50, "request errored", { req: { method: req.method, url: req.url }, res: { statusCode: 500 }, err: { type: err.name, message: err.message } });
  }
});
server.listen(port, () => {
  const bound = server.address().port;
  log(30, "Server listening at http://0.0.0.0:" + bound);
  for (const [i, path] of ["/healthz", "/api/items", "/api/items?page=2", "/api/items"].entries())
    setTimeout(() => fetch("http://127.0.0.1:" + bound + path).catch(() => {}), 400 + i * 300);
});
`;
}

const RUNTIME = (
  id: string,
  how: string,
  expected: DbCase["expected"],
  schema: string,
  route: string,
  prepare: string[] = [],
  extra: Partial<DbCase> = {},
): DbCase => ({
  id,
  stack: "prisma",
  step: "runtime",
  expected,
  how,
  urls: "app",
  template: TEMPLATE,
  files: { "prisma/schema.prisma": schema, "db.js": PRISMA_CLIENT, "server.js": serving(route) },
  prepare: [
    "prisma generate >/dev/null",
    `node -e 'const p=require("./package.json");p.type="module";p.scripts={start:"node server.js"};require("fs").writeFileSync("package.json",JSON.stringify(p,null,2))'`,
    ...prepare,
  ],
  command: "npm start",
  env: () => ({ PORT: "0" }),
  stillRunning: true,
  timeoutMs: 5000,
  ...extra,
});

/** An app that fails while starting (the start step's log). */
const BOOT = (
  id: string,
  how: string,
  expected: DbCase["expected"],
  schema: string,
  main: string,
  prepare: string[] = [],
  extra: Partial<DbCase> = {},
): DbCase => ({
  id,
  stack: "prisma",
  step: "start",
  expected,
  how,
  urls: "app",
  template: TEMPLATE,
  files: { "prisma/schema.prisma": schema, "db.js": PRISMA_CLIENT, "main.js": main },
  prepare: [
    "prisma generate >/dev/null",
    `node -e 'const p=require("./package.json");p.type="module";p.scripts={start:"node main.js"};require("fs").writeFileSync("package.json",JSON.stringify(p,null,2))'`,
    ...prepare,
  ],
  command: "npm start",
  timeoutMs: 30000,
  ...extra,
});

const ITEMS = `${HEAD}
model Item {
  id    Int    @id @default(autoincrement())
  title String
  sku   String
  price Int
  @@map("items")
}
`;

const cases: DbCase[] = [
  // --- prisma db push refusing data loss ---
  pushChange({
    id: "prisma-push-col-removed-1",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "prisma db push after removing a field whose column holds rows",
    before: USERS,
    after: USERS.replace("  nickname  String?\n", ""),
    rows: `INSERT INTO "User"(email, name, nickname) VALUES ('a@x.io','Ann','annie'),('b@x.io','Bob',NULL)`,
  }),
  pushChange({
    id: "prisma-push-type-int",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "prisma db push changing String to Int on a column with rows",
    before: SHOP,
    after: SHOP.replace("  total      String\n", "  total      Int\n"),
    rows: SHOP_ROWS,
  }),
  pushChange({
    id: "prisma-push-type-optional",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "prisma db push changing an optional String field with values to Int (drop and recreate)",
    before: USERS,
    after: USERS.replace("  nickname  String?\n", "  nickname  Int?\n"),
    rows: `INSERT INTO "User"(email, name, nickname) VALUES ('a@x.io','Ann','annie'),('b@x.io','Bob','42')`,
  }),
  pushChange({
    id: "prisma-push-email-unique",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "prisma db push adding @unique on a column whose rows share a value",
    before: SHOP,
    after: SHOP.replace("  email  String\n  orders", "  email  String  @unique\n  orders"),
    rows: SHOP_ROWS,
  }),
  pushChange({
    id: "prisma-push-enum-shrink",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "prisma db push removing an enum value rows still use",
    before: SHOP,
    after: SHOP.replace("  CANCELLED\n", ""),
    rows: SHOP_ROWS,
  }),
  pushChange({
    id: "prisma-push-model-gone",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "prisma db push after deleting a model whose table has rows (relation moved too)",
    before: `${USERS}
model AuditLog {
  id     Int    @id @default(autoincrement())
  action String
}
`,
    after: USERS,
    rows: `INSERT INTO "AuditLog"(action) VALUES ('login'),('logout'),('export')`,
  }),
  pushChange({
    id: "prisma-push-npm-script",
    expected: "DESTRUCTIVE_CHANGE_BLOCKED",
    how: "a preStart `npm run db:sync` wrapping prisma db push, a column with rows removed",
    before: ITEMS,
    after: ITEMS.replace("  sku   String\n", ""),
    rows: `INSERT INTO items(title, sku, price) VALUES ('Mug','MUG-1',900),('Cap','CAP-2',1500)`,
    files: {},
    command: `node -e 'const p=require("./package.json");p.scripts={"db:sync":"echo \\"[db] syncing schema (error if destructive)\\" && prisma db push --skip-generate"};require("fs").writeFileSync("package.json",JSON.stringify(p,null,2))' && npm run db:sync`,
  }),
  pushChange({
    id: "prisma-push-required-added",
    expected: "MIGRATION_FAILED",
    how: "prisma db push adding a required field without default to a table with rows",
    before: USERS,
    after: USERS.replace("  nickname  String?\n", "  nickname  String?\n  tenantId  Int\n"),
    rows: `INSERT INTO "User"(email, name) VALUES ('a@x.io','Ann'),('b@x.io','Bob'),('c@x.io','Cy')`,
  }),
  pushChange({
    id: "prisma-push-required-and-dropped",
    expected: "MIGRATION_FAILED",
    how: "prisma db push renaming a required field (a new required column plus a dropped one) on a table with rows",
    before: USERS,
    after: USERS.replace("  name      String\n", "  fullName  String\n"),
    rows: `INSERT INTO "User"(email, name) VALUES ('a@x.io','Ann')`,
  }),
  // --- prisma migrate deploy (preStart) ---
  {
    id: "prisma-deploy-nonempty-db",
    stack: "prisma",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "preStart prisma migrate deploy on a database an earlier automatic db push filled",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": USERS,
      ...migrations({
        "20261101090000_init": `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "name" TEXT NOT NULL, "nickname" TEXT, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n`,
      }),
    },
    prepare: [PUSH],
    command: "prisma migrate deploy",
  },
  {
    id: "prisma-deploy-dup-column",
    stack: "prisma",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "prisma migrate deploy where the second migration adds a column the first already created",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS,
      ...migrations({
        "20261101090000_init": `CREATE TABLE "items" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "sku" TEXT NOT NULL, "price" INTEGER NOT NULL);\n`,
        "20261115120000_add_sku": `-- AlterTable\nALTER TABLE "items" ADD COLUMN "sku" TEXT NOT NULL DEFAULT '';\n`,
      }),
    },
    command: "prisma migrate deploy",
  },
  {
    id: "prisma-deploy-sql-typo",
    stack: "prisma",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "prisma migrate deploy with a hand-edited migration containing a syntax error",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS,
      ...migrations({
        "20261101090000_init": `-- CreateTable\nCREATE TABLE "items" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "sku" TEXT NOT NULL, "price" INTEGER NOT NULL);\n`,
        "20261120083000_backfill": `-- backfill prices\nUPDATE "items" SET "price" = 0 WHERE "price" IS NULL\nCREATE INDEX "items_sku_idx" ON "items"("sku");\n`,
      }),
    },
    command: "prisma migrate deploy",
  },
  {
    id: "prisma-deploy-col-in-sql",
    stack: "prisma",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "prisma migrate deploy where a migration's UPDATE names a column no migration created",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS,
      ...migrations({
        "20261101090000_init": `CREATE TABLE "items" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "sku" TEXT NOT NULL, "price" INTEGER NOT NULL);\n`,
        "20261102090000_cents": `ALTER TABLE "items" ADD COLUMN "priceCents" INTEGER;\nUPDATE "items" SET "priceCents" = "price_eur" * 100;\n`,
      }),
    },
    command: "prisma migrate deploy",
  },
  {
    id: "prisma-deploy-missing-table-in-sql",
    stack: "prisma",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "prisma migrate deploy where a migration alters a table created only by a later migration (wrong folder order)",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS,
      ...migrations({
        "20261101090000_add_index": `-- CreateIndex\nCREATE INDEX "items_title_idx" ON "items"("title");\n`,
        "20261105090000_init": `CREATE TABLE "items" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "sku" TEXT NOT NULL, "price" INTEGER NOT NULL);\n`,
      }),
    },
    command: "prisma migrate deploy",
  },
  {
    id: "prisma-deploy-after-failed",
    stack: "prisma",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "prisma migrate deploy again after a previous deploy's migration failed and was recorded (file since fixed)",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS,
      ...migrations({
        "20261101090000_init": `CREATE TABLE "items" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "sku" TEXT NOT NULL, "price" INTEGER NOT NULL);\n`,
        "20261110090000_unique_sku": `CREATE UNIQUE INDEX "items_sku_key" ON "items"("skuu");\n`,
      }),
    },
    prepare: [
      "prisma migrate deploy >/dev/null 2>&1 || true",
      `sed -i 's/"skuu"/"sku"/' prisma/migrations/20261110090000_unique_sku/migration.sql`,
    ],
    command: "prisma migrate deploy",
  },
  {
    id: "prisma-deploy-then-seed",
    stack: "prisma",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "preStart `prisma migrate deploy && node seed.js` where the seed inserts a duplicate unique value",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS.replace("  sku   String\n", "  sku   String @unique\n"),
      ...migrations({
        "20261101090000_init": `CREATE TABLE "items" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "sku" TEXT NOT NULL, "price" INTEGER NOT NULL);\nCREATE UNIQUE INDEX "items_sku_key" ON "items"("sku");\n`,
      }),
      "seed.mjs": `import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });
console.log("🌱 Seeding catalogue...");
const items = [
  { title: "Mug", sku: "MUG-1", price: 900 },
  { title: "Cap", sku: "CAP-1", price: 1500 },
  { title: "Mug (blue)", sku: "MUG-1", price: 950 },
];
for (const item of items) {
  await prisma.item.create({ data: item });
  console.log("  created", item.sku);
}
console.log("✅ Seed finished");
`,
    },
    prepare: ["prisma generate >/dev/null"],
    command: "prisma migrate deploy && node seed.mjs",
  },
  {
    id: "prisma-deploy-then-seed-table",
    stack: "prisma",
    step: "schema",
    expected: "RELATION_DOES_NOT_EXIST",
    how: "preStart `prisma migrate deploy && node prisma/seed.mjs`: the seed writes a model whose migration was never committed",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": `${ITEMS}
model Category {
  id   Int    @id @default(autoincrement())
  name String
}
`,
      ...migrations({
        "20261101090000_init": `CREATE TABLE "items" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "sku" TEXT NOT NULL, "price" INTEGER NOT NULL);\n`,
      }),
      "prisma/seed.mjs": `import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });
console.log("Seeding...");
await prisma.item.createMany({ data: [{ title: "Mug", sku: "MUG-1", price: 900 }] });
console.log("items: ok");
await prisma.category.createMany({ data: [{ name: "Kitchen" }, { name: "Outdoor" }] });
console.log("categories: ok");
`,
    },
    prepare: ["prisma generate >/dev/null"],
    command: "prisma migrate deploy && node prisma/seed.mjs",
  },
  {
    id: "prisma-dev-command-prestart",
    stack: "prisma",
    step: "schema",
    expected: "MIGRATION_FAILED",
    how: "preStart runs `prisma migrate dev` (non-interactive, a development command) instead of migrate deploy",
    urls: "schema",
    template: TEMPLATE,
    files: { "prisma/schema.prisma": ITEMS },
    command: "prisma migrate dev --name init",
  },
  // --- schema validation (P1012) and generate ---
  {
    id: "prisma-generate-unknown-type",
    stack: "prisma",
    step: "schema",
    expected: "PRISMA_SCHEMA_INVALID",
    how: "prisma generate on a schema using a type that does not exist (Json misspelt)",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS.replace("  price Int\n", "  price Int\n  meta  JSONB?\n"),
    },
    command: "prisma generate",
  },
  {
    id: "prisma-push-back-relation",
    stack: "prisma",
    step: "schema",
    expected: "PRISMA_SCHEMA_INVALID",
    how: "prisma db push on a schema whose relation lacks the opposite field",
    urls: "schema",
    template: TEMPLATE,
    files: { "prisma/schema.prisma": SHOP.replace("  orders Order[]\n", "") },
    command: PUSH,
  },
  {
    id: "prisma-push-twice-declared",
    stack: "prisma",
    step: "schema",
    expected: "PRISMA_SCHEMA_INVALID",
    how: "prisma db push on a schema declaring the same model twice (a bad merge)",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": `${USERS}
model User {
  id    Int    @id @default(autoincrement())
  email String @unique
}
`,
    },
    command: PUSH,
  },
  {
    id: "prisma-validate-attr",
    stack: "prisma",
    step: "schema",
    expected: "PRISMA_SCHEMA_INVALID",
    how: "preStart `prisma validate && prisma migrate deploy` with an unknown attribute and a bad default",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS.replace(
        "  title String\n",
        "  title String @db.Text @unique(length: 10)\n",
      ).replace("  price Int\n", '  price Int @default("free")\n'),
    },
    command: "prisma validate && prisma migrate deploy",
  },
  {
    id: "prisma-config-env-missing",
    stack: "prisma",
    step: "schema",
    expected: "PRISMA_SCHEMA_INVALID",
    how: "prisma db push with a prisma.config.ts reading env('SHADOW_DATABASE_URL'), never set in the project",
    urls: "schema",
    template: TEMPLATE,
    files: { "prisma/schema.prisma": USERS },
    prepare: [
      `sed -i 's/connectionString: env("DATABASE_URL")/connectionString: env("DATABASE_URL"),\\n        application_name: env("SHADOW_DATABASE_URL")/' prisma.config.ts`,
    ],
    command: PUSH,
  },
  {
    id: "prisma-generate-reserved-name",
    stack: "prisma",
    step: "schema",
    expected: "PRISMA_SCHEMA_INVALID",
    how: "prisma generate on a schema with a model named PrismaClient (a reserved name)",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": `${USERS}\nmodel PrismaClient {\n  id   Int    @id\n  name String\n}\n`,
    },
    command: "prisma generate",
  },
  {
    id: "prisma-push-enum-undeclared",
    stack: "prisma",
    step: "schema",
    expected: "PRISMA_SCHEMA_INVALID",
    how: "prisma db push on a schema using an enum Role whose declaration was left out of a commit",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": USERS.replace(
        "  nickname  String?\n",
        "  nickname  String?\n  role      Role     @default(MEMBER)\n",
      ),
    },
    command: PUSH,
  },
  // --- connection failures in the schema step ---
  {
    id: "prisma-push-wrong-port",
    stack: "prisma",
    step: "schema",
    expected: "DATABASE_UNREACHABLE",
    how: "prisma db push with DATABASE_URL pointing at a port nothing listens on (a committed .env-style override)",
    urls: "schema",
    template: TEMPLATE,
    files: { "prisma/schema.prisma": USERS },
    env: (p) => ({
      DATABASE_URL: changeUrl(p.directUrl, (u) => {
        u.port = "5499";
      }),
    }),
    command: PUSH,
  },
  {
    id: "prisma-deploy-wrong-host",
    stack: "prisma",
    step: "schema",
    expected: "DATABASE_UNREACHABLE",
    how: "prisma migrate deploy with a hard-coded docker-compose host name `db` that does not resolve",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS,
      ...migrations({
        "20261101090000_init": `CREATE TABLE "items" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL);\n`,
      }),
    },
    env: (p) => ({
      DATABASE_URL: changeUrl(p.directUrl, (u) => {
        u.hostname = "db.internal";
      }),
    }),
    command: "prisma migrate deploy",
  },
  {
    id: "prisma-push-old-password",
    stack: "prisma",
    step: "schema",
    expected: "DATABASE_AUTH_FAILED",
    how: "prisma db push with a stale password in a hard-coded pooled URL copied from an earlier deploy",
    urls: "schema",
    template: TEMPLATE,
    files: { "prisma/schema.prisma": USERS },
    env: (p) => ({
      DATABASE_URL: changeUrl(p.databaseUrl, (u) => {
        u.password = "Xq1-stale-Tk9vR2hLmN0pQ";
      }),
    }),
    command: PUSH,
  },
  {
    id: "prisma-deploy-other-role",
    stack: "prisma",
    step: "schema",
    expected: "DATABASE_AUTH_FAILED",
    how: "prisma migrate deploy with a URL naming a role that does not exist (copied from a tutorial)",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS,
      ...migrations({
        "20261101090000_init": `CREATE TABLE "items" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL);\n`,
      }),
    },
    env: (p) => ({
      DATABASE_URL: changeUrl(p.directUrl, (u) => {
        u.username = "app_user";
        u.password = "app_password";
      }),
    }),
    command: "prisma migrate deploy",
  },
  {
    id: "prisma-deploy-tls-param",
    stack: "prisma",
    step: "schema",
    expected: "DATABASE_SSL_MISMATCH",
    how: "prisma migrate deploy with ?sslmode=require appended to the URL; the server has no SSL",
    urls: "schema",
    template: TEMPLATE,
    files: {
      "prisma/schema.prisma": ITEMS,
      ...migrations({
        "20261101090000_init": `CREATE TABLE "items" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL);\n`,
      }),
    },
    env: (p) => ({
      DATABASE_URL: changeUrl(p.directUrl, (u) => {
        u.searchParams.set("sslmode", "require");
      }),
    }),
    command: "prisma migrate deploy",
  },
  // --- start and runtime ---
  BOOT(
    "prisma-boot-no-tables",
    "an app whose schema was never pushed (preStart set to a no-op build check) queries at boot",
    "RELATION_DOES_NOT_EXIST",
    ITEMS,
    `import { prisma, log } from "./db.js";
log(30, "catalogue service starting", { version: "1.4.2", env: "production" });
const count = await prisma.item.count();
log(30, "catalogue loaded", { count });
`,
  ),
  BOOT(
    "prisma-boot-skip-migrate",
    "an app printing its own 'skipping migrations' line, then querying accounts with $queryRaw at boot on an empty database",
    "RELATION_DOES_NOT_EXIST",
    ITEMS,
    `import { prisma, log } from "./db.js";
console.log("> ledger@0.9.0 boot");
if (!process.env.RUN_MIGRATIONS) console.log("[boot] RUN_MIGRATIONS is not set, skipping migrations (run them from preStart)");
log(30, "warming caches");
const rows = await prisma.$queryRaw\`SELECT id, balance FROM accounts WHERE active = true LIMIT 10\`;
log(30, "accounts cached", { n: rows.length });
`,
  ),
  BOOT(
    "prisma-boot-col-gone",
    "an app at boot selecting a field whose column a later manual change dropped",
    "SCHEMA_MISMATCH",
    ITEMS,
    `import { prisma, log } from "./db.js";
log(30, "starting");
const items = await prisma.item.findMany({ take: 5 });
log(30, "ready", { items: items.length });
`,
    [PUSH_APP(), sql(`ALTER TABLE items DROP COLUMN sku`)],
  ),
  BOOT(
    "prisma-boot-bad-password",
    "an app with a committed .env DATABASE_URL (stale password) loaded by dotenv-style code overriding the injected one",
    "DATABASE_AUTH_FAILED",
    ITEMS,
    `import { prisma, log } from "./db.js";
log(30, "connecting to database");
await prisma.$connect();
await prisma.item.findFirst();
log(30, "connected");
`,
    [],
    {
      env: (p) => ({
        DATABASE_URL: changeUrl(p.databaseUrl, (u) => {
          u.password = "s3cr3t-from-dotenv";
        }),
      }),
    },
  ),
  BOOT(
    "prisma-boot-localhost-5433",
    "an app whose config hard-codes localhost:5433 (nothing listening) instead of the injected URL",
    "DATABASE_UNREACHABLE",
    ITEMS,
    `import { prisma, log } from "./db.js";
log(30, "connecting");
const n = await prisma.item.count();
log(30, "ok", { n });
`,
    [],
    {
      env: (p) => ({
        DATABASE_URL: changeUrl(p.databaseUrl, (u) => {
          u.port = "5433";
          u.hostname = "localhost";
        }),
      }),
    },
  ),
  BOOT(
    "prisma-boot-tls-pooler",
    "an app adding sslmode=require to the pooled URL; PgBouncer has no TLS",
    "DATABASE_SSL_MISMATCH",
    ITEMS,
    `import { prisma, log } from "./db.js";
log(30, "starting api", { tls: true });
const n = await prisma.item.count();
log(30, "ok", { n });
`,
    [PUSH_APP()],
    {
      env: (p) => ({
        DATABASE_URL: changeUrl(p.databaseUrl, (u) => {
          u.searchParams.set("sslmode", "require");
        }),
      }),
    },
  ),
  BOOT(
    "prisma-boot-reset-public",
    "an app whose boot 'reset' runs DROP SCHEMA public CASCADE through the pooler, then queries again",
    "BOUNCER_CONFIG_ERROR",
    ITEMS,
    `import pg from "pg";
import { prisma, log } from "./db.js";
log(30, "DEMO_RESET=1: resetting demo data");
const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
await admin.connect();
await admin.query("DROP SCHEMA public CASCADE");
await admin.query("CREATE SCHEMA public");
await admin.end();
log(30, "schema reset, reconnecting");
for (let i = 0; i < 3; i++) {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  try { await c.connect(); await c.query("select 1"); await c.end(); } catch (e) { log(40, "db retry", { attempt: i + 1, err: e.message }); await new Promise(r => setTimeout(r, 300)); }
}
await prisma.item.count();
`,
    [PUSH_APP()],
  ),
  RUNTIME(
    "prisma-serve-no-tables",
    "a server on an empty database: every request's findMany fails, the server keeps serving",
    "RELATION_DOES_NOT_EXIST",
    ITEMS,
    "async () => prisma.item.findMany({ take: 20 })",
  ),
  RUNTIME(
    "prisma-serve-col-missing",
    "a server whose schema gained a field no deploy applied (column dropped to mimic it); requests fail, server keeps serving",
    "SCHEMA_MISMATCH",
    ITEMS,
    "async (req) => req.url === '/healthz' ? { ok: true } : prisma.item.findMany({ where: { price: { gt: 0 } } })",
    [PUSH_APP(), sql(`ALTER TABLE items DROP COLUMN price`)],
  ),
  RUNTIME(
    "prisma-serve-held-conn",
    "a server with a pg pool of 1 and a 1 s connect timeout while a slow interactive transaction holds the connection",
    "POOL_EXHAUSTED",
    ITEMS,
    "async (req) => req.url === '/healthz' ? prisma.$transaction(async (tx) => { await tx.$executeRaw`SELECT pg_sleep(3)`; return { ok: true }; }, { timeout: 10000 }) : prisma.item.findMany()",
    [PUSH_APP()],
    { env: () => ({ PORT: "0", PG_POOL_MAX: "1", PG_CONNECT_TIMEOUT: "1000" }), timeoutMs: 6000 },
  ),
];

/** The schema pushed as the platform would (DIRECT_URL), before an app case runs on the pooler. */
function PUSH_APP(): string {
  return `DATABASE_URL="$DIRECT_URL" ${PUSH} >/dev/null`;
}

await runAll(FILE, cases);
