import { jest } from "@jest/globals";
import { ensureProjectDatabase } from "../../src/provisioning/provision-project.js";
import { queryAt } from "../helpers/databases.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(300_000);

// Each stack the database docs name, as a small real app whose coduck.json preStart runs its
// own migration tool as the tool's docs write it. Each deploys through the real worker, in its
// box, and then reads and writes through DATABASE_URL: PgBouncer in transaction mode with
// max_prepared_statements = 100, as the platform runs it.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

// A later commit whose migration cannot run on the rows written: a NOT NULL column without a
// default, through each stack's own tool.
const NOT_NULL_SQL = "ALTER TABLE notes ADD COLUMN title text NOT NULL";
const STACKS: {
  app: string;
  preStart: string;
  logs: RegExp;
  breaking?: Record<string, string>;
  /** What the failed schema step shows, when not Postgres's line. */
  evidence?: RegExp;
}[] = [
  {
    app: "pg-app",
    preStart: "node scripts/migrate.js",
    logs: /migrated: notes/,
    breaking: {
      "scripts/migrate.js": `import pg from "pg";\nconst client = new pg.Client({ connectionString: process.env.DATABASE_URL });\nawait client.connect();\nawait client.query("${NOT_NULL_SQL}");\nawait client.end();\n`,
    },
  },
  {
    // postgres.js with its default prepare: true (named statements through PgBouncer).
    app: "postgresjs-app",
    preStart: "node scripts/migrate.js",
    logs: /migrated: notes/,
  },
  {
    app: "kysely-app",
    preStart: "node scripts/migrate.js",
    logs: /Success: 2026-12-01-notes/,
    breaking: {
      "migrations/2026-12-02-title.js": `export async function up(db) {\n  await db.schema.alterTable("notes").addColumn("title", "text", (c) => c.notNull()).execute();\n}\n`,
    },
  },
  {
    app: "drizzle-migrate-app",
    preStart: "drizzle-kit migrate",
    logs: /migrations applied successfully/,
    breaking: {
      // notes already has a title here: the required column is another one.
      "drizzle/0001_summary.sql": 'ALTER TABLE "notes" ADD COLUMN "summary" text NOT NULL;\n',
      "drizzle/meta/_journal.json": `${JSON.stringify(
        {
          version: "7",
          dialect: "postgresql",
          entries: [
            { idx: 0, version: "7", when: 1796580246623, tag: "0000_notes", breakpoints: true },
            { idx: 1, version: "7", when: 1796666646623, tag: "0001_summary", breakpoints: true },
          ],
        },
        null,
        2,
      )}\n`,
    },
    // drizzle-kit migrate prints nothing of the database's error: the worker names the
    // migration it stopped at.
    evidence:
      /^drizzle-kit migrate exited without the database's error; the migration it stopped at: drizzle\/0001_summary\.sql \(ALTER TABLE "notes" ADD COLUMN "summary" text NOT NULL;\)$/,
  },
  {
    app: "knex-app",
    preStart: "knex migrate:latest",
    logs: /Batch 1 run: 1 migrations/,
    breaking: {
      "migrations/20261202000000_title.js": `exports.up = (knex) => knex.schema.alterTable("notes", (t) => { t.text("title").notNullable(); });\nexports.down = () => {};\n`,
    },
  },
  {
    app: "sequelize-app",
    preStart: "sequelize db:migrate",
    logs: /20261201000000-create-notes: migrated/,
    breaking: {
      "migrations/20261202000000-add-title.js": `module.exports = {\n  up: (q, S) => q.addColumn("notes", "title", { type: S.TEXT, allowNull: false }),\n  down: () => {},\n};\n`,
    },
  },
];

describe.each(STACKS)(
  "$app with preStart `$preStart`",
  ({ app, preStart, logs, breaking, evidence }) => {
    it("migrates, goes live, reads and writes through PgBouncer; a migration that cannot run fails the schema step", async () => {
      // The Auth SDK's tables are there before the app's first deploy, one with a user in it:
      // the app's own migration tool must leave them alone.
      const { directUrl } = await ensureProjectDatabase(
        { db: stack.db, config: stack.config, keyring: stack.keyring },
        app,
      );
      await queryAt(
        directUrl,
        "CREATE TABLE auth_users (id serial PRIMARY KEY, email text); INSERT INTO auth_users (email) VALUES ('a@b.c'); CREATE TABLE auth_sessions (id serial PRIMARY KEY)",
      );

      const repo = await fixtureRepo(app);
      const record = await stack.waitForEnd(
        await stack.deploy({ project: app, repoUrl: repo.dir }),
        240_000,
      );
      const schema = record.steps.find((s) => s.name === "schema")!;
      expect({
        status: record.status,
        errorCode: record.errorCode,
        command: schema.command,
      }).toEqual({ status: "succeeded", errorCode: null, command: preStart });
      expect(schema.logTail).toMatch(logs);

      const url = record.release!.url;
      for (let i = 0; i < 3; i++) {
        expect((await fetchApp(`${url}/notes`, { method: "POST" })).status).toBe(201);
      }
      const served = (await (await fetchApp(`${url}/notes`)).json()) as {
        app: string;
        notes: { id: number; body: string }[];
      };
      expect(served.app).toBe(app);
      expect(served.notes.map((note) => note.id)).toEqual([1, 2, 3]);
      expect(served.notes[0]!.body).toMatch(/^written through /);
      expect(await queryAt(directUrl, "SELECT email FROM auth_users")).toEqual([
        { email: "a@b.c" },
      ]);
      expect(await queryAt(directUrl, "SELECT count(*)::int AS n FROM auth_sessions")).toEqual([
        { n: 0 },
      ]);
      if (!breaking) return;

      // A migration that cannot run on those rows fails the schema step; the release stays live.
      await repo.commit(breaking);
      const next = await stack.waitForEnd(
        await stack.deploy({ project: app, repoUrl: repo.dir }),
        240_000,
      );
      expect({ status: next.status, errorCode: next.errorCode }).toEqual({
        status: "failed",
        errorCode: "MIGRATION_FAILED",
      });
      expect(next.steps.find((s) => s.name === "schema")!.evidence).toMatch(
        evidence ?? /column "title" of relation "notes" contains null values/,
      );
      expect(next.warnings).toContain(
        `not deployed; deployment ${record.id} (${record.commitSha!.slice(0, 12)}) is still live`,
      );
      const after = (await (await fetchApp(`${url}/notes`)).json()) as { notes: unknown[] };
      expect(after.notes).toHaveLength(3);
    });
  },
);

describe("an app that uses a database with nothing to create its tables", () => {
  it("deploys with a warning on the record saying so", async () => {
    const repo = await fixtureRepo("knex-app", { "coduck.json": "{}\n" });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "no-migrations", repoUrl: repo.dir }),
      240_000,
    );
    expect(record.status).toBe("succeeded");
    expect(record.warnings).toEqual([
      'knexfile.js is committed, but no preStart runs knex: nothing creates the app\'s tables. Set "preStart": "knex migrate:latest" in coduck.json',
    ]);
  });
});
