/** TypeORM 0.3 failures: `typeorm migration:run` in preStart, boots and runtime through PgBouncer. */
import { type Case, extraBouncer, READY, serveAndHit } from "./sql-stacks-lib.js";

const pkg = () =>
  JSON.stringify(
    {
      name: "typeorm-tickets",
      version: "1.0.3",
      private: true,
      scripts: {
        "migration:run": "typeorm migration:run -d ./data-source.js",
        start: "node index.js",
      },
    },
    null,
    2,
  );

// data-source.js for the CLI: DIRECT_URL, migrations from ./migrations.
const dataSource = (extra = "") => `require("reflect-metadata");
const { DataSource } = require("typeorm");
module.exports.AppDataSource = new DataSource({
  type: "postgres",
  url: process.env.DIRECT_URL,
  migrations: [__dirname + "/migrations/*.js"],
  synchronize: false,
  logging: ["error", "migration"],${extra}
});
`;

const ticketsMigration = `module.exports = class CreateTickets1704100000000 {
  name = "CreateTickets1704100000000";
  async up(queryRunner) {
    await queryRunner.query(\`CREATE TABLE "ticket" ("id" SERIAL NOT NULL, "title" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'open', "createdAt" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_ticket" PRIMARY KEY ("id"))\`);
  }
  async down(queryRunner) { await queryRunner.query(\`DROP TABLE "ticket"\`); }
};
`;

// Entity schema in plain JS (EntitySchema), an express API, console logs.
const entity = (extraColumn = "") => `const { EntitySchema } = require("typeorm");
module.exports.Ticket = new EntitySchema({
  name: "Ticket",
  tableName: "ticket",
  columns: {
    id: { type: Number, primary: true, generated: true },
    title: { type: String },
    status: { type: String, default: "open" },
    createdAt: { type: "timestamp", createDate: true },${extraColumn}
  },
});
`;

const app = (dsOptions: string, routes: string) => `require("reflect-metadata");
const express = require("express");
const { DataSource } = require("typeorm");
const { Ticket } = require("./entity");
const ds = new DataSource({ type: "postgres", url: process.env.DATABASE_URL, entities: [Ticket], synchronize: false, ${dsOptions} });
const app = express();
app.use((req, res, next) => { const t = Date.now(); res.on("finish", () => console.log(\`[http] \${req.method} \${req.path} \${res.statusCode} \${Date.now() - t}ms\`)); next(); });
app.get("/", (req, res) => res.send("tickets up"));
${routes}
app.use((err, req, res, next) => { console.error("[http] request error:", err); res.status(500).send("error"); });
ds.initialize()
  .then(() => { console.log("[db] Data Source has been initialized!"); app.listen(process.env.PORT, () => console.log("[http] listening on " + process.env.PORT)); })
  .catch((err) => { console.error("[db] Error during Data Source initialization", err); process.exit(1); });
`;

export const typeormCases: Case[] = [
  {
    id: "typeorm-cli-bad-statement",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "preStart `npm run migration:run` (typeorm migration:run -d data-source.js on DIRECT_URL); the second migration's SQL has a missing comma",
      files: {
        "package.json": pkg(),
        "data-source.js": dataSource(),
        "migrations/1704100000000-CreateTickets.js": ticketsMigration,
        "migrations/1705200000000-AddAssignee.js": `module.exports = class AddAssignee1705200000000 {
  name = "AddAssignee1705200000000";
  async up(queryRunner) {
    await queryRunner.query(\`ALTER TABLE "ticket" ADD "assignee" character varying ADD "priority" integer NOT NULL DEFAULT 0\`);
  }
  async down(queryRunner) {}
};
`,
      },
      command: "npm run migration:run",
    }),
  },
  {
    id: "typeorm-cli-fk-ghost-col",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "typeorm migration:run; a migration adds a foreign key on ticket.projectId, a column never added",
      files: {
        "package.json": pkg(),
        "data-source.js": dataSource(),
        "migrations/1704100000000-CreateTickets.js": ticketsMigration,
        "migrations/1706000000000-Projects.js": `module.exports = class Projects1706000000000 {
  name = "Projects1706000000000";
  async up(queryRunner) {
    await queryRunner.query(\`CREATE TABLE "project" ("id" SERIAL PRIMARY KEY, "name" varchar NOT NULL)\`);
    await queryRunner.query(\`ALTER TABLE "ticket" ADD CONSTRAINT "FK_ticket_project" FOREIGN KEY ("projectId") REFERENCES "project"("id")\`);
  }
  async down(queryRunner) {}
};
`,
      },
      command: "npx typeorm migration:run -d ./data-source.js",
    }),
  },
  {
    id: "typeorm-cli-table-present",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE ticket (id serial primary key, title text); ALTER TABLE ticket OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "schema",
        expected: "MIGRATION_FAILED",
        how: "typeorm migration:run on a database where ticket was created earlier by synchronize: true (no migrations table yet)",
        files: {
          "package.json": pkg(),
          "data-source.js": dataSource(),
          "migrations/1704100000000-CreateTickets.js": ticketsMigration,
        },
        command: "npm run migration:run",
      };
    },
  },
  {
    id: "typeorm-cli-export-shape",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "typeorm migration:run -d data-source.js where the file exports a plain options object, not a DataSource",
      files: {
        "package.json": pkg(),
        "data-source.js": `module.exports = { type: "postgres", url: process.env.DIRECT_URL, migrations: [__dirname + "/migrations/*.js"] };\n`,
        "migrations/1704100000000-CreateTickets.js": ticketsMigration,
      },
      command: "npm run migration:run",
    }),
  },
  {
    id: "typeorm-cli-ds-path",
    build: () => ({
      step: "schema",
      expected: "MODULE_NOT_FOUND",
      how: "preStart `typeorm migration:run -d dist/data-source.js`, but the build writes to build/, so the data source file does not exist",
      files: {
        "package.json": pkg(),
        "build/data-source.js": dataSource(),
        "migrations/1704100000000-CreateTickets.js": ticketsMigration,
      },
      command: "npx typeorm migration:run -d dist/data-source.js",
    }),
  },
  {
    id: "typeorm-cli-refused-port",
    build: () => ({
      step: "schema",
      expected: "DATABASE_UNREACHABLE",
      how: "typeorm migration:run with a data source built from host/port env with committed defaults (localhost:5433)",
      files: {
        "package.json": pkg(),
        "data-source.js": `require("reflect-metadata");
const { DataSource } = require("typeorm");
module.exports.AppDataSource = new DataSource({
  type: "postgres", host: process.env.DB_HOST ?? "localhost", port: Number(process.env.DB_PORT ?? 5433),
  username: "tickets", password: "tickets", database: "tickets",
  migrations: [__dirname + "/migrations/*.js"],
});
`,
        "migrations/1704100000000-CreateTickets.js": ticketsMigration,
      },
      command: "npm run migration:run",
    }),
  },
  {
    id: "typeorm-boot-no-migrations-run",
    build: () => ({
      step: "start",
      expected: "RELATION_DOES_NOT_EXIST",
      how: "TypeORM app with synchronize: false and migrationsRun off ('migrations are run by the release job', which was never set up); boot seeds a row",
      files: {
        "package.json": pkg(),
        "entity.js": entity(),
        "index.js": `require("reflect-metadata");
const { DataSource } = require("typeorm");
const { Ticket } = require("./entity");
const ds = new DataSource({ type: "postgres", url: process.env.DATABASE_URL, entities: [Ticket], synchronize: false, migrationsRun: false, logging: ["error"] });
(async () => {
  await ds.initialize();
  console.log("db initialized (synchronize off, migrations are run by the release job)");
  const repo = ds.getRepository("Ticket");
  if ((await repo.count()) === 0) await repo.save({ title: "Welcome ticket" });
  console.log("seed ok");
})().catch((e) => { console.error(e); process.exit(1); });
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "typeorm-serve-entity-ahead",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE ticket (id serial primary key, title varchar not null, status varchar not null default 'open', "createdAt" timestamp not null default now()); ALTER TABLE ticket OWNER TO "${ctx.project.role}"; INSERT INTO ticket (title) VALUES ('first');`,
      );
      return {
        step: "runtime",
        expected: "SCHEMA_MISMATCH",
        how: "TypeORM entity gained a dueDate column; its migration file was never committed; find() fails per request and the server keeps serving",
        files: {
          "package.json": pkg(),
          "entity.js": entity('\n    dueDate: { type: "timestamp", nullable: true },'),
          "index.js": app(
            "logging: ['error']",
            `app.get("/tickets", async (req, res, next) => { try { res.json(await ds.getRepository("Ticket").find()); } catch (e) { next(e); } });`,
          ),
        },
        command: serveAndHit("node index.js", ["/", "/tickets", "/tickets", "/"]),
        timeoutMs: 7000,
        stillRunning: true,
      };
    },
  },
  {
    id: "typeorm-boot-other-password",
    build: (ctx) => ({
      step: "start",
      expected: "DATABASE_AUTH_FAILED",
      how: "TypeORM app reading TYPEORM_URL (a stale URL set in the project's env) before DATABASE_URL; PgBouncer rejects the password",
      files: {
        "package.json": pkg(),
        "entity.js": entity(),
        "index.js": app("", "").replace(
          "url: process.env.DATABASE_URL",
          "url: process.env.TYPEORM_URL || process.env.DATABASE_URL",
        ),
      },
      env: { TYPEORM_URL: ctx.withPassword(ctx.project.databaseUrl, "rotated-last-week") },
      command: "npm start",
    }),
  },
  {
    id: "typeorm-boot-tls-flag",
    build: () => ({
      step: "start",
      expected: "DATABASE_SSL_MISMATCH",
      how: "TypeORM data source with ssl: true (and extra.ssl.rejectUnauthorized false) on DATABASE_URL",
      files: {
        "package.json": pkg(),
        "entity.js": entity(),
        "index.js": app("ssl: true, extra: { ssl: { rejectUnauthorized: false } }", ""),
      },
      command: "npm start",
    }),
  },
  {
    id: "typeorm-serve-held-runners",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE ticket (id serial primary key, title varchar not null, status varchar not null default 'open', "createdAt" timestamp not null default now()); ALTER TABLE ticket OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "runtime",
        expected: "POOL_EXHAUSTED",
        how: "TypeORM (pg pool extra.max 2, connectionTimeoutMillis 1500): a bulk route opens QueryRunners and never releases them; later requests time out waiting for a connection",
        files: {
          "package.json": pkg(),
          "entity.js": entity(),
          "index.js": app(
            "extra: { max: 2, connectionTimeoutMillis: 1500 }",
            `app.post("/bulk-close", async (req, res, next) => {
  try {
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    await qr.query("UPDATE ticket SET status = 'closed' WHERE status = 'open'");
    res.send("queued"); // commit and release happen in a job that was never written
  } catch (e) { next(e); }
});
app.get("/tickets", async (req, res, next) => { try { res.json(await ds.getRepository("Ticket").find({ take: 5 })); } catch (e) { next(e); } });`,
          ),
        },
        command: serveAndHit(
          "node index.js",
          ["/tickets", "POST /bulk-close", "POST /bulk-close", "/tickets", "/tickets"],
          0.3,
        ),
        timeoutMs: 9000,
        stillRunning: true,
      };
    },
  },
  {
    id: "typeorm-boot-role-cap",
    build: (ctx) => {
      ctx.su(`ALTER ROLE "${ctx.project.role}" CONNECTION LIMIT 1`);
      return {
        step: "start",
        expected: "POOL_EXHAUSTED",
        how: "TypeORM on DIRECT_URL running its start-up checks in parallel against a role with CONNECTION LIMIT 1",
        files: {
          "package.json": pkg(),
          "entity.js": entity(),
          "index.js": `require("reflect-metadata");
const { DataSource } = require("typeorm");
const ds = new DataSource({ type: "postgres", url: process.env.DIRECT_URL, extra: { max: 10 } });
ds.initialize().then(async () => {
  console.log("initialized; running start-up checks");
  await Promise.all([ds.query("select pg_sleep(0.5)"), ds.query("select pg_sleep(0.5)"), ds.query("select now()")]);
  console.log("checks passed");
}).catch((err) => { console.error("Error during Data Source initialization:", err); process.exit(1); });
`,
        },
        command: "npm start",
      };
    },
  },
  {
    id: "typeorm-boot-run-on-init",
    build: () => ({
      step: "start",
      expected: "MIGRATION_FAILED",
      how: "TypeORM app with migrationsRun: true (migrations at boot, through DATABASE_URL); the second migration's index names a column that does not exist",
      files: {
        "package.json": pkg(),
        "entity.js": entity(),
        "migrations/1704100000000-CreateTickets.js": ticketsMigration,
        "migrations/1707000000000-StatusIndex.js": `module.exports = class StatusIndex1707000000000 {
  name = "StatusIndex1707000000000";
  async up(queryRunner) { await queryRunner.query(\`CREATE INDEX "IDX_ticket_state" ON "ticket" ("state", "createdAt")\`); }
  async down(queryRunner) {}
};
`,
        "index.js": app(
          "migrations: [__dirname + '/migrations/*.js'], migrationsRun: true, logging: ['error', 'warn', 'migration']",
          `app.get("/tickets", async (req, res, next) => { try { res.json(await ds.getRepository("Ticket").find()); } catch (e) { next(e); } });`,
        ),
      },
      command: "npm start",
    }),
  },
  {
    id: "typeorm-serve-bouncer-queue",
    build: (ctx) => {
      const port = extraBouncer("tiny");
      ctx.su(
        `CREATE TABLE ticket (id serial primary key, title varchar not null, status varchar not null default 'open', "createdAt" timestamp not null default now()); ALTER TABLE ticket OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "runtime",
        expected: "POOL_EXHAUSTED",
        how: "TypeORM: a stats route's long query holds PgBouncer's only server connection (default_pool_size 1); the tickets route waits past query_wait_timeout (3s); the app keeps serving",
        files: {
          "package.json": pkg(),
          "entity.js": entity(),
          "index.js": app(
            "logging: ['error']",
            `app.get("/stats", async (req, res, next) => { try { res.json(await ds.query("SELECT pg_sleep(7), count(*) FROM ticket")); } catch (e) { next(e); } });
app.get("/tickets", async (req, res, next) => { try { res.json(await ds.getRepository("Ticket").find({ take: 10 })); } catch (e) { next(e); } });`,
          ),
        },
        env: { DATABASE_URL: ctx.onPort(ctx.project.databaseUrl, port) },
        command: `node index.js & ${READY}; curl -s -o /dev/null "http://127.0.0.1:$PORT/stats" & sleep 0.4; curl -s -o /dev/null "http://127.0.0.1:$PORT/tickets"; curl -s -o /dev/null "http://127.0.0.1:$PORT/"; wait`,
        timeoutMs: 12000,
        stillRunning: true,
      };
    },
  },
];
