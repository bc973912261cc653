/** Sequelize 6 failures: sequelize-cli db:migrate in preStart, boots and runtime through PgBouncer. */
import { type Case, READY, serveAndHit } from "./sql-stacks-lib.js";

const pkg = () =>
  JSON.stringify(
    {
      name: "seq-crm",
      version: "3.1.0",
      private: true,
      scripts: { "db:migrate": "sequelize-cli db:migrate", start: "node app.js" },
    },
    null,
    2,
  );

// config/config.js as sequelize-cli's docs show it, production on DIRECT_URL.
const config = (extra = "") => `module.exports = {
  development: { username: "postgres", password: null, database: "crm_dev", host: "127.0.0.1", dialect: "postgres" },
  production: { use_env_variable: "DIRECT_URL", dialect: "postgres", logging: false${extra} },
};
`;
const sequelizerc = `const path = require("path");
module.exports = { config: path.resolve("config", "config.js"), "migrations-path": path.resolve("db", "migrations"), "models-path": path.resolve("models") };
`;

const contacts = `"use strict";
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable("Contacts", {
      id: { allowNull: false, autoIncrement: true, primaryKey: true, type: Sequelize.INTEGER },
      email: { type: Sequelize.STRING, allowNull: false, unique: true },
      fullName: { type: Sequelize.STRING },
      createdAt: { allowNull: false, type: Sequelize.DATE },
      updatedAt: { allowNull: false, type: Sequelize.DATE },
    });
  },
  async down(queryInterface) { await queryInterface.dropTable("Contacts"); },
};
`;

const model = (extraField = "") => `const { Sequelize, DataTypes } = require("sequelize");
const sequelize = new Sequelize(process.env.DATABASE_URL, { logging: false, pool: { max: 5 } });
const Contact = sequelize.define("Contact", {
  email: { type: DataTypes.STRING, allowNull: false, unique: true },
  fullName: DataTypes.STRING,${extraField}
});
module.exports = { sequelize, Contact };
`;

const expressApp = (
  routes: string,
  boot = 'app.listen(process.env.PORT, () => console.log("crm listening on " + process.env.PORT));',
) => `const express = require("express");
const { sequelize, Contact } = require("./models");
const app = express();
app.use(express.json());
app.use((req, res, next) => { res.on("finish", () => console.log(\`\${new Date().toISOString()} \${req.method} \${req.url} -> \${res.statusCode}\`)); next(); });
${routes}
app.use((err, req, res, next) => { console.error(\`[\${new Date().toISOString()}] ERROR \${req.method} \${req.url}\`, err.name + ":", err.message); if (err.parent) console.error("  caused by:", err.parent.message); res.status(500).json({ error: "server error" }); });
${boot}
`;

export const sequelizeCases: Case[] = [
  {
    id: "seq-cli-raw-typo",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "preStart `npx sequelize-cli db:migrate` (config use_env_variable DIRECT_URL); a raw query in the second migration has a typo",
      files: {
        "package.json": pkg(),
        ".sequelizerc": sequelizerc,
        "config/config.js": config(),
        "db/migrations/20240101000000-create-contacts.js": contacts,
        "db/migrations/20240201000000-contacts-search.js": `"use strict";
module.exports = {
  async up(queryInterface) { await queryInterface.sequelize.query('CREATE INDEX "contacts_email_trgm" ON "Contacts" USING gin (lower("email") gin_trgm_opsx)'); },
  async down() {},
};
`,
      },
      command: "npx sequelize-cli db:migrate",
    }),
  },
  {
    id: "seq-cli-rename-ghost",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "sequelize-cli db:migrate; a migration renames Contacts.name, which the first migration called fullName",
      files: {
        "package.json": pkg(),
        ".sequelizerc": sequelizerc,
        "config/config.js": config(),
        "db/migrations/20240101000000-create-contacts.js": contacts,
        "db/migrations/20240301000000-rename-name.js": `"use strict";
module.exports = {
  async up(queryInterface) { await queryInterface.renameColumn("Contacts", "name", "displayName"); },
  async down(queryInterface) { await queryInterface.renameColumn("Contacts", "displayName", "name"); },
};
`,
      },
      command: "npm run db:migrate",
    }),
  },
  {
    id: "seq-cli-config-require",
    build: () => ({
      step: "schema",
      expected: "MODULE_NOT_FOUND",
      how: "sequelize-cli db:migrate with a config.js that requires dotenv-flow, which is only installed globally on the developer machine (not in package.json)",
      files: {
        "package.json": pkg(),
        ".sequelizerc": sequelizerc,
        "config/config.js": `require("dotenv-flow").config();\n${config()}`,
        "db/migrations/20240101000000-create-contacts.js": contacts,
      },
      command: "npx sequelize-cli db:migrate",
    }),
  },
  {
    id: "seq-cli-required-col-rows",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE "SequelizeMeta" (name varchar(255) primary key); INSERT INTO "SequelizeMeta" VALUES ('20240101000000-create-contacts.js');
         CREATE TABLE "Contacts" (id serial primary key, email varchar(255) unique not null, "fullName" varchar(255), "createdAt" timestamptz not null default now(), "updatedAt" timestamptz not null default now());
         INSERT INTO "Contacts" (email) VALUES ('a@crm.io'), ('b@crm.io');
         ALTER TABLE "SequelizeMeta" OWNER TO "${ctx.project.role}"; ALTER TABLE "Contacts" OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "schema",
        expected: "MIGRATION_FAILED",
        how: "sequelize-cli db:migrate adding a NOT NULL column without a default to Contacts, which already has rows",
        files: {
          "package.json": pkg(),
          ".sequelizerc": sequelizerc,
          "config/config.js": config(),
          "db/migrations/20240101000000-create-contacts.js": contacts,
          "db/migrations/20240401000000-add-owner.js": `"use strict";
module.exports = {
  async up(queryInterface, Sequelize) { await queryInterface.addColumn("Contacts", "ownerId", { type: Sequelize.INTEGER, allowNull: false }); },
  async down(queryInterface) { await queryInterface.removeColumn("Contacts", "ownerId"); },
};
`,
        },
        command: "npm run db:migrate",
      };
    },
  },
  {
    id: "seq-cli-env-missing",
    build: () => ({
      step: "schema",
      expected: "MIGRATION_FAILED",
      how: "sequelize-cli db:migrate with NODE_ENV=production but config.json only has development and test entries",
      files: {
        "package.json": pkg(),
        "config/config.json": JSON.stringify(
          {
            development: {
              username: "postgres",
              database: "crm_dev",
              host: "127.0.0.1",
              dialect: "postgres",
            },
            test: {
              username: "postgres",
              database: "crm_test",
              host: "127.0.0.1",
              dialect: "postgres",
            },
          },
          null,
          2,
        ),
        "migrations/20240101000000-create-contacts.js": contacts,
      },
      command: "npx sequelize-cli db:migrate",
    }),
  },
  {
    id: "seq-cli-dev-credentials",
    build: (ctx) => ({
      step: "schema",
      expected: "DATABASE_AUTH_FAILED",
      how: "sequelize-cli db:migrate with config.json production credentials hard-coded (project role, password from a local .env, PgBouncer's port)",
      files: {
        "package.json": pkg(),
        "config/config.json": JSON.stringify(
          {
            production: {
              username: ctx.project.role,
              password: "localdev",
              database: ctx.project.database,
              host: "127.0.0.1",
              port: 6432,
              dialect: "postgres",
            },
          },
          null,
          2,
        ),
        "migrations/20240101000000-create-contacts.js": contacts,
      },
      command: "npx sequelize-cli db:migrate",
    }),
  },
  {
    id: "seq-cli-dialect-options-heroku",
    build: () => ({
      step: "schema",
      expected: "DATABASE_SSL_MISMATCH",
      how: "sequelize-cli db:migrate with dialectOptions.ssl.require = true in config.js (from a Heroku guide)",
      files: {
        "package.json": pkg(),
        ".sequelizerc": sequelizerc,
        "config/config.js": config(
          ", dialectOptions: { ssl: { require: true, rejectUnauthorized: false } }",
        ),
        "db/migrations/20240101000000-create-contacts.js": contacts,
      },
      command: "npx sequelize-cli db:migrate",
    }),
  },
  {
    id: "seq-boot-sync-off",
    build: () => ({
      step: "start",
      expected: "RELATION_DOES_NOT_EXIST",
      how: "Sequelize app that only runs sequelize.sync() outside production ('skipping sync'), then counts Contacts at boot on the empty database",
      files: {
        "package.json": pkg(),
        "models/index.js": model(),
        "app.js": `const { sequelize, Contact } = require("./models");
(async () => {
  await sequelize.authenticate();
  console.log("Connection has been established successfully.");
  if (process.env.NODE_ENV !== "production") await sequelize.sync();
  else console.log("production: skipping sequelize.sync(), migrations own the schema");
  const n = await Contact.count();
  console.log("contacts:", n);
})().catch((err) => { console.error("Unable to start:", err); process.exit(1); });
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "seq-serve-model-attr",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE "Contacts" (id serial primary key, email varchar(255) unique not null, "fullName" varchar(255), "createdAt" timestamptz not null default now(), "updatedAt" timestamptz not null default now()); ALTER TABLE "Contacts" OWNER TO "${ctx.project.role}"; INSERT INTO "Contacts" (email) VALUES ('a@crm.io');`,
      );
      return {
        step: "runtime",
        expected: "SCHEMA_MISMATCH",
        how: "Sequelize model gained a `company` attribute whose migration was never committed; findAll fails per request and the server keeps serving",
        files: {
          "package.json": pkg(),
          "models/index.js": model("\n  company: DataTypes.STRING,"),
          "app.js":
            expressApp(`app.get("/contacts", async (req, res, next) => { try { res.json(await Contact.findAll()); } catch (e) { next(e); } });
app.get("/status", (req, res) => res.json({ status: "ok", errors: 0 }));`),
        },
        command: serveAndHit("node app.js", ["/status", "/contacts", "/contacts", "/status"]),
        timeoutMs: 6000,
        stillRunning: true,
      };
    },
  },
  {
    id: "seq-boot-compose-db",
    build: () => ({
      step: "start",
      expected: "DATABASE_UNREACHABLE",
      how: "Sequelize app configured with host 'postgres-db' from docker-compose (ENOTFOUND) in a committed config",
      files: {
        "package.json": pkg(),
        "app.js": `const { Sequelize } = require("sequelize");
const sequelize = new Sequelize("crm", "crm", "crm", { host: process.env.DB_HOST || "postgres-db", dialect: "postgres", logging: false });
console.log("Connecting to Postgres at " + (process.env.DB_HOST || "postgres-db"));
sequelize.authenticate().then(() => console.log("ok")).catch((error) => { console.error("Unable to connect to the database:", error); process.exit(1); });
`,
      },
      command: "npm start",
    }),
  },
  {
    id: "seq-serve-acquire-timeout",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE "Contacts" (id serial primary key, email varchar(255) unique not null, "fullName" varchar(255), "createdAt" timestamptz not null default now(), "updatedAt" timestamptz not null default now()); ALTER TABLE "Contacts" OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "runtime",
        expected: "POOL_EXHAUSTED",
        how: "Sequelize pool max 2, acquire 2000ms; an import route holds two transactions open for 8s while other requests wait for a connection",
        files: {
          "package.json": pkg(),
          "models/index.js": model().replace("pool: { max: 5 }", "pool: { max: 2, acquire: 2000 }"),
          "app.js": expressApp(`app.post("/import", async (req, res, next) => {
  try { await sequelize.transaction(async (t) => { await sequelize.query("SELECT pg_sleep(8)", { transaction: t }); }); res.send("imported"); } catch (e) { next(e); }
});
app.get("/contacts", async (req, res, next) => { try { res.json(await Contact.findAll({ limit: 10 })); } catch (e) { next(e); } });`),
        },
        command: `node app.js & ${READY}; curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/import" & curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/import" & sleep 0.4; curl -s -o /dev/null "http://127.0.0.1:$PORT/contacts"; curl -s -o /dev/null "http://127.0.0.1:$PORT/contacts"; wait`,
        timeoutMs: 11000,
        stillRunning: true,
      };
    },
  },
  {
    id: "seq-serve-dupes-then-role-cap",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE "Contacts" (id serial primary key, email varchar(255) unique not null, "fullName" varchar(255), "createdAt" timestamptz not null default now(), "updatedAt" timestamptz not null default now()); ALTER TABLE "Contacts" OWNER TO "${ctx.project.role}"; INSERT INTO "Contacts" (email) VALUES ('dup@crm.io'); ALTER ROLE "${ctx.project.role}" CONNECTION LIMIT 2;`,
      );
      return {
        step: "runtime",
        expected: "POOL_EXHAUSTED",
        how: "Sequelize on DIRECT_URL (pool max 10): duplicate-email creates are logged as handled SequelizeUniqueConstraintError, then a burst of report queries exceeds the role's CONNECTION LIMIT 2",
        files: {
          "package.json": pkg(),
          "models/index.js": model()
            .replace("process.env.DATABASE_URL", "process.env.DIRECT_URL")
            .replace("pool: { max: 5 }", "pool: { max: 10 }"),
          "app.js": expressApp(`app.post("/contacts", async (req, res, next) => {
  try { res.status(201).json(await Contact.create({ email: "dup@crm.io" })); }
  catch (e) { if (e.name === "SequelizeUniqueConstraintError") { console.warn("validation error: email must be unique (" + e.errors[0].message + ")"); return res.status(422).json({ error: "duplicate" }); } next(e); }
});
app.get("/report", async (req, res, next) => {
  try { const [r] = await sequelize.query("SELECT pg_sleep(1), count(*) FROM \\"Contacts\\""); res.json(r); } catch (e) { next(e); }
});`),
        },
        command: `node app.js & ${READY}; curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/contacts"; curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/contacts"; for i in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$PORT/report" & done; wait`,
        timeoutMs: 7000,
        stillRunning: true,
      };
    },
  },
  {
    id: "seq-boot-force-sync-wipe",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE "Contacts" (id serial primary key, email varchar(255) unique not null, "fullName" varchar(255), "createdAt" timestamptz not null default now(), "updatedAt" timestamptz not null default now()); ALTER TABLE "Contacts" OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "start",
        expected: "BOUNCER_CONFIG_ERROR",
        how: "Sequelize boot 'clean slate' script runs DROP SCHEMA public CASCADE via DIRECT_URL, then the app connects through DATABASE_URL (PgBouncer) to sync",
        files: {
          "package.json": pkg(),
          "models/index.js": model(),
          "app.js": `const { Sequelize } = require("sequelize");
const { sequelize, Contact } = require("./models");
(async () => {
  if (process.env.RESET_DB !== "false") {
    const admin = new Sequelize(process.env.DIRECT_URL, { logging: false });
    console.log("resetting database schema (RESET_DB != false)");
    await admin.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    await admin.close();
  }
  await sequelize.sync();
  console.log("schema synced");
  await Contact.create({ email: "seed@crm.io" });
})().catch((err) => { console.error(err); process.exit(1); });
`,
        },
        command: "npm start",
      };
    },
  },
  {
    id: "seq-serve-unsynced-model",
    build: (ctx) => {
      ctx.su(
        `CREATE TABLE "Contacts" (id serial primary key, email varchar(255) unique not null, "fullName" varchar(255), "createdAt" timestamptz not null default now(), "updatedAt" timestamptz not null default now()); ALTER TABLE "Contacts" OWNER TO "${ctx.project.role}";`,
      );
      return {
        step: "runtime",
        expected: "RELATION_DOES_NOT_EXIST",
        how: "Sequelize app with a new Note model whose migration was never written: contacts routes work, note routes fail per request and the server keeps serving",
        files: {
          "package.json": pkg(),
          "models/index.js":
            model() +
            `const Note = sequelize.define("Note", { body: DataTypes.TEXT, contactId: DataTypes.INTEGER });
module.exports.Note = Note;
`,
          "app.js": expressApp(`const { Note } = require("./models");
app.get("/contacts", async (req, res, next) => { try { res.json(await Contact.findAll()); } catch (e) { next(e); } });
app.get("/contacts/:id/notes", async (req, res, next) => { try { res.json(await Note.findAll({ where: { contactId: req.params.id } })); } catch (e) { next(e); } });`),
        },
        command: serveAndHit("node app.js", [
          "/contacts",
          "/contacts/1/notes",
          "/contacts",
          "/contacts/2/notes",
        ]),
        timeoutMs: 7000,
        stillRunning: true,
      };
    },
  },
];
