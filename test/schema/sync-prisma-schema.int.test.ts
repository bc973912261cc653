import { randomBytes } from "node:crypto";
import { access, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jest } from "@jest/globals";
import { execa } from "execa";
import pg from "pg";
import {
  findPrismaSchema,
  type PrismaSchemaLocation,
} from "../../src/schema/find-prisma-schema.js";
import { prismaArgs } from "../../src/schema/prisma-commands.js";
import { SchemaSyncError } from "../../src/schema/schema-sync-error.js";
import { syncPrismaSchema } from "../../src/schema/sync-prisma-schema.js";
import { databaseUrl, onServer } from "../helpers/databases.js";
import { execaRunner } from "./execa-runner.js";

jest.setTimeout(120_000); // installs and Prisma commands are slow on 2 cores

const FIXTURE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "apps",
  "prisma-app",
);
const database = `coduck_schema_${randomBytes(6).toString("hex")}`;
const url = databaseUrl(database);
let appDir: string;
let schema: PrismaSchemaLocation;
let original: string;

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function columns(table: string): Promise<string[]> {
  const rows = await query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = '${table}' ORDER BY ordinal_position`,
  );
  return rows.map((r) => r.column_name);
}

async function sync(log: string[] = [], said: string[] = []) {
  return syncPrismaSchema({
    appDir,
    schema,
    directUrl: url,
    run: execaRunner(appDir, log),
    say: (line) => said.push(line),
  });
}

/** The fixture's schema with `change` applied to its text. */
async function editSchema(change: (text: string) => string): Promise<void> {
  await writeFile(path.join(appDir, "prisma", "schema.prisma"), change(original));
}

beforeAll(async () => {
  appDir = await mkdtemp(path.join(os.tmpdir(), "coduck-prisma-app-"));
  await cp(FIXTURE, appDir, { recursive: true });
  await execa("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: appDir,
    env: { CI: "true" },
  });
  await onServer((c) => c.query(`CREATE DATABASE ${database}`));
  schema = (await findPrismaSchema(appDir))!;
  original = await readFile(schema.path, "utf8");
});

// Each test starts from a database holding only what the CoDuck Auth SDK keeps there (a table
// with rows, one still empty, and an enum; none of them in the app's Prisma schema) and from the
// fixture's schema, and syncs what it needs itself.
beforeEach(async () => {
  await query(`
    DROP SCHEMA public CASCADE;
    CREATE SCHEMA public;
    CREATE TYPE auth_role AS ENUM ('admin', 'member');
    CREATE TABLE auth_users (id serial PRIMARY KEY, email text NOT NULL, role auth_role);
    INSERT INTO auth_users (email, role) VALUES ('ada@example.com', 'admin');
    CREATE TABLE auth_sessions (id text PRIMARY KEY, user_id int REFERENCES auth_users(id));
  `);
  await editSchema((text) => text);
});

/** The fixture's schema with an optional Post.subtitle. */
const withSubtitle = (text: string) =>
  text.replace("  title    String\n", "  title    String\n  subtitle String?\n");

/** The fixture's schema with Post.subtitle and a Tag model (table `tags`) with a color. */
const withTagColors = (text: string) =>
  `${withSubtitle(text)}
model Tag {
  id    Int     @id @default(autoincrement())
  label String
  color String?

  @@map("tags")
}
`;

/** Ada's post, with a subtitle, as the app would have written it. */
const insertPost = () =>
  query(`
    INSERT INTO "Author" (name) VALUES ('Ada');
    INSERT INTO "Post" (title, "authorId", subtitle) VALUES ('Hello', 1, 'keep me');
  `);

afterAll(async () => {
  if (process.env.KEEP_TEST_DATABASES === "1") return;
  await onServer((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

async function expectAuthTablesIntact(): Promise<void> {
  expect(await query("SELECT email, role FROM auth_users")).toEqual([
    { email: "ada@example.com", role: "admin" },
  ]);
  expect(await columns("auth_sessions")).toEqual(["id", "user_id"]);
  expect(await query("SELECT unnest(enum_range(NULL::auth_role))::text AS v")).toHaveLength(2);
}

describe("syncPrismaSchema (Prisma 6.19, JS engine, a real database)", () => {
  it("creates the model tables on the first sync and keeps the tables it does not know", async () => {
    expect(schema).toMatchObject({
      path: path.join(appDir, "prisma", "schema.prisma"),
      configFile: path.join(appDir, "prisma.config.ts"),
    });
    const log: string[] = [];
    const said: string[] = [];
    const result = await sync(log, said);

    expect(result).toMatchObject({
      external: ["public.auth_sessions", "public.auth_users"],
      externalEnums: ["public.auth_role"],
      method: "external-tables",
      prismaVersion: expect.stringMatching(/^6\.19\./),
      pushed: true,
      changed: true,
      // What the schema gate checks against afterwards, without running Prisma again.
      createScript: expect.stringContaining('CREATE TABLE "Post"'),
    });
    expect(result.summary).toContain("applied prisma/schema.prisma with Prisma 6.19.");
    expect(said).toEqual([
      "keeping what prisma/schema.prisma does not declare: public.auth_sessions, public.auth_users, public.auth_role",
    ]);
    expect(log).toContain("$ prisma db push --config .coduck/prisma.config.mjs --skip-generate");
    expect(log.join("\n")).toContain("Your database is now in sync with your Prisma schema");
    expect(await columns("Author")).toEqual(["id", "name"]);
    expect(await columns("Post")).toEqual(["id", "title", "authorId"]);
    await expectAuthTablesIntact();
  });

  it("keeps them on a second sync, which has nothing to do", async () => {
    await sync();
    const log: string[] = [];
    const result = await sync(log);
    expect(result).toMatchObject({
      changed: false,
      external: ["public.auth_sessions", "public.auth_users"],
    });
    expect(result.summary).toMatch(/^already in sync:/);
    expect(log.join("\n")).toContain("The database is already in sync with the Prisma schema.");
    await expectAuthTablesIntact();
  });

  it("applies a new model (mapped to another table name) and a new optional column", async () => {
    await sync();
    await editSchema(
      (text) =>
        `${withSubtitle(text)}
model Tag {
  id    Int    @id @default(autoincrement())
  label String

  @@map("tags")
}
`,
    );
    expect((await sync()).changed).toBe(true);
    expect(await columns("Post")).toEqual(["id", "title", "authorId", "subtitle"]);
    expect(await columns("tags")).toEqual(["id", "label"]);

    // The mapped table is the schema's own, not an unknown one: a change to it is applied.
    await editSchema(withTagColors);
    const result = await sync();
    expect(result.changed).toBe(true);
    expect(result.external).toEqual(["public.auth_sessions", "public.auth_users"]);
    expect(await columns("tags")).toEqual(["id", "label", "color"]);
    await expectAuthTablesIntact();
  });

  it("refuses to drop a column that holds data, with Prisma's data-loss warning", async () => {
    await editSchema(withTagColors);
    await sync();
    await insertPost();
    await editSchema((text) => text); // the fixture's schema: no subtitle, no Tag

    const failure: SchemaSyncError = await sync().then(
      () => {
        throw new Error("the sync should have failed");
      },
      (error: SchemaSyncError) => error,
    );
    expect(failure).toBeInstanceOf(SchemaSyncError);
    expect(failure.stage).toBe("push");
    expect(failure.result).toMatchObject({
      command: "prisma db push --config .coduck/prisma.config.mjs --skip-generate",
      exitCode: 1,
    });
    const output = failure.result.output.join("\n");
    expect(output).toContain("There might be data loss when applying the changes:");
    expect(output).toContain(
      "You are about to drop the column `subtitle` on the `Post` table, which still contains 1 non-null values.",
    );
    expect(output).toContain("Use the --accept-data-loss flag to ignore the data loss warnings");

    expect(await query('SELECT title, subtitle FROM "Post"')).toEqual([
      { title: "Hello", subtitle: "keep me" },
    ]);
    expect(await columns("tags")).toEqual(["id", "label", "color"]);
    await expectAuthTablesIntact();
  });

  it("leaves the client to the build step: the app reads the pushed rows through the client it generated", async () => {
    await editSchema(withSubtitle);
    const log: string[] = [];
    await sync(log);
    expect(log.filter((line) => line.startsWith("$ prisma generate"))).toEqual([]);
    await insertPost();
    await sync();
    // What the pipeline's build step runs before the schema step (generate-prisma-client.ts).
    await execa("node_modules/.bin/prisma", prismaArgs.generate("prisma/schema.prisma"), {
      cwd: appDir,
      env: { DATABASE_URL: url, CHECKPOINT_DISABLE: "1" },
    });
    await access(path.join(appDir, "node_modules", ".prisma", "client", "index.js"));
    const types = await readFile(
      path.join(appDir, "node_modules", ".prisma", "client", "index.d.ts"),
      "utf8",
    );
    expect(types).toContain("subtitle: string | null");

    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const server = execa("node", ["server.js"], {
      cwd: appDir,
      env: { PORT: String(port), DATABASE_URL: url },
      reject: false,
    });
    try {
      const body = await fetchWhenUp(`http://127.0.0.1:${port}/`);
      expect(body).toEqual({
        app: "prisma-app",
        posts: [
          {
            id: 1,
            title: "Hello",
            subtitle: "keep me",
            authorId: 1,
            author: { id: 1, name: "Ada" },
          },
        ],
      });
    } finally {
      server.kill();
      await server;
    }
  });
});

async function fetchWhenUp(address: string): Promise<unknown> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const response = await fetch(address);
      return await response.json();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
