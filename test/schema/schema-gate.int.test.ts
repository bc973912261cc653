import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jest } from "@jest/globals";
import { execa } from "execa";
import pg from "pg";
import { formatDeployment } from "../../src/cli/print-deployment.js";
import { StepFailure } from "../../src/failures/step-failure.js";
import { findPrismaSchema } from "../../src/schema/find-prisma-schema.js";
import { checkSchemaGate } from "../../src/schema/schema-gate.js";
import { databaseUrl, onServer } from "../helpers/databases.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { execaRunner } from "./execa-runner.js";

jest.setTimeout(120_000); // installs and Prisma commands are slow on 2 cores

const FIXTURE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "apps",
  "prisma-app",
);
const database = `coduck_gate_${randomBytes(6).toString("hex")}`;
const url = databaseUrl(database);
let appDir: string;
let original: string;

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Runs the gate as the schema step does after a preStart; resolves with what it said. */
async function gate(): Promise<string[]> {
  const said: string[] = [];
  const schema = (await findPrismaSchema(appDir))!;
  await checkSchemaGate({
    appDir,
    schema,
    directUrl: url,
    run: execaRunner(appDir),
    say: (line) => said.push(line),
    appliedBy: "preStart `npm run migrate`",
  });
  return said;
}

/** The StepFailure the gate throws. */
async function refusal(): Promise<StepFailure> {
  return gate().then(
    () => {
      throw new Error("the schema gate should have failed");
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(StepFailure);
      return error as StepFailure;
    },
  );
}

beforeAll(async () => {
  appDir = await mkdtemp(path.join(os.tmpdir(), "coduck-gate-app-"));
  await cp(FIXTURE, appDir, { recursive: true });
  await execa("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: appDir,
    env: { CI: "true" },
  });
  await onServer((c) => c.query(`CREATE DATABASE ${database}`));
  original = await readFile(path.join(appDir, "prisma", "schema.prisma"), "utf8");
});

afterAll(async () => {
  if (process.env.KEEP_TEST_DATABASES === "1") return;
  await onServer((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

// The tables prisma-app's schema declares, as its migration would make them.
const AUTHOR = `CREATE TABLE "Author" (id serial PRIMARY KEY, name text NOT NULL)`;
const POST = `CREATE TABLE "Post" (id serial PRIMARY KEY, "authorId" int NOT NULL, title text NOT NULL)`;

/** prisma-app's schema with a mapped model (Tag, its table `tags`) and an ignored one. */
const withTags = () =>
  writeFile(
    path.join(appDir, "prisma", "schema.prisma"),
    `${original}
model Tag {
  id       Int     @id @default(autoincrement())
  label    String  @map("tag_label") // the column is tag_label
  legacy   String? @ignore
  location Unsupported("point")?
  meta     Json    @default("{}")

  @@map("tags")
}

model Archive {
  id Int @id

  @@ignore
}
`,
  );

describe("the schema gate (Prisma 6.19, a real database)", () => {
  // Each test makes the tables it needs in an empty database, from the app's own schema.
  beforeEach(async () => {
    await sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    await writeFile(path.join(appDir, "prisma", "schema.prisma"), original);
  });

  it("fails with RELATION_DOES_NOT_EXIST naming a model's missing table", async () => {
    await sql(AUTHOR);
    const failure = await refusal();
    expect(failure.code).toBe("RELATION_DOES_NOT_EXIST");
    expect(failure.facts.evidence).toBe(
      "table Post does not exist in the database, but prisma/schema.prisma declares it: preStart `npm run migrate` did not create it",
    );
  });

  it("fails with SCHEMA_MISMATCH naming a model's missing column (table.column)", async () => {
    await sql(AUTHOR);
    await sql(`CREATE TABLE "Post" (id serial PRIMARY KEY, "authorId" int NOT NULL)`);
    const failure = await refusal();
    expect(failure.code).toBe("SCHEMA_MISMATCH");
    expect(failure.facts.evidence).toBe(
      "column Post.title does not exist in the database, but prisma/schema.prisma declares it: preStart `npm run migrate` did not create it",
    );
  });

  it("passes when every table and column exists", async () => {
    await sql(`${AUTHOR}; ${POST}`);
    expect(await gate()).toEqual([
      "schema check: the 2 table(s) and 5 column(s) prisma/schema.prisma declares all exist",
    ]);
  });

  it("reads tables and columns by their @@map and @map names, and needs none the client never reads", async () => {
    await withTags();
    await sql(`${AUTHOR}; ${POST}`);
    await sql("CREATE TABLE tags (id serial PRIMARY KEY, label text NOT NULL, meta jsonb)");
    const failure = await refusal();
    expect(failure.code).toBe("SCHEMA_MISMATCH");
    expect(failure.facts.evidence).toBe(
      "column tags.tag_label does not exist in the database, but prisma/schema.prisma declares it: preStart `npm run migrate` did not create it",
    );

    await sql("ALTER TABLE tags RENAME COLUMN label TO tag_label");
    expect(await gate()).toEqual([
      "schema check: the 3 table(s) and 8 column(s) prisma/schema.prisma declares all exist",
    ]);
  });

  it("checks against a create script it is given (the push's) without running Prisma again", async () => {
    await withTags();
    // What the worker's push read before it pushed: the app's own Prisma, once.
    const log: string[] = [];
    const read = await execaRunner(appDir, log)(
      path.join(appDir, "node_modules", ".bin", "prisma"),
      [
        "migrate",
        "diff",
        "--from-empty",
        "--to-schema-datamodel",
        "prisma/schema.prisma",
        "--script",
        "--output",
        "create.sql",
      ],
      { DATABASE_URL: url },
    );
    expect(read.exitCode).toBe(0);
    const createScript = await readFile(path.join(appDir, "create.sql"), "utf8");
    await rm(path.join(appDir, "create.sql"));
    const given = async () => {
      const said: string[] = [];
      await checkSchemaGate({
        appDir,
        schema: (await findPrismaSchema(appDir))!,
        directUrl: url,
        run: async () => {
          throw new Error("the gate ran a command though it was given the create script");
        },
        say: (line) => said.push(line),
        appliedBy: "`prisma db push`",
        createScript,
      });
      return said;
    };
    await sql(`${AUTHOR}; ${POST}`);
    await sql("CREATE TABLE tags (id serial PRIMARY KEY, label text NOT NULL, meta jsonb)");
    const failure = await given().then(
      () => null,
      (error: unknown) => error as StepFailure,
    );
    expect(failure).toBeInstanceOf(StepFailure);
    expect(failure!.code).toBe("SCHEMA_MISMATCH");
    expect(failure!.facts.evidence).toBe(
      "column tags.tag_label does not exist in the database, but prisma/schema.prisma declares it: `prisma db push` did not create it",
    );
    await sql("ALTER TABLE tags RENAME COLUMN label TO tag_label");
    // @ignore and Unsupported fields and the @@ignore model are still left out.
    expect(await given()).toEqual([
      "schema check: the 3 table(s) and 8 column(s) prisma/schema.prisma declares all exist",
    ]);
  });

  it("names every missing column of several", async () => {
    await withTags();
    await sql(`CREATE TABLE "Author" (id serial PRIMARY KEY); ${POST}`);
    await sql("CREATE TABLE tags (id serial PRIMARY KEY, tag_label text NOT NULL)");
    const failure = await refusal();
    expect(failure.code).toBe("SCHEMA_MISMATCH");
    expect(failure.facts.evidence).toBe(
      "columns Author.name, tags.meta do not exist in the database, but prisma/schema.prisma declares them: preStart `npm run migrate` did not create them",
    );
  });
});

describe("the schema step's gate, in a deploy", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack({ RUNTIME_WATCH_SECONDS: "0" });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("fails a deploy whose preStart left a model's table out, before it starts", async () => {
    const repo = await fixtureRepo("prisma-app", {
      "coduck.json": JSON.stringify({ preStart: "node migrate.js" }),
      // A hand-written migration that forgot the Post table.
      "migrate.js": [
        'import pg from "pg";',
        "const client = new pg.Client({ connectionString: process.env.DATABASE_URL });",
        "await client.connect();",
        `await client.query('CREATE TABLE IF NOT EXISTS "Author" (id serial PRIMARY KEY, name text NOT NULL)');`,
        "await client.end();",
        'console.log("migrated");',
      ].join("\n"),
    });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "gated", repoUrl: repo.dir }),
      180_000,
    );
    expect({ status: record.status, errorCode: record.errorCode }).toEqual({
      status: "failed",
      errorCode: "RELATION_DOES_NOT_EXIST",
    });
    const schema = record.steps.find((s) => s.name === "schema")!;
    expect(schema).toMatchObject({
      status: "failed",
      command: expect.stringMatching(/^node migrate\.js && \S*prisma migrate diff --from-empty/),
      evidence:
        "table Post does not exist in the database, but prisma/schema.prisma declares it: preStart `node migrate.js` did not create it",
      evidenceLine: null,
    });
    expect(record.steps.find((s) => s.name === "start")!.status).toBe("skipped");
    expect(record.release).toBeNull();
    expect(formatDeployment(record)).toContain(
      "┌ failed at schema: RELATION_DOES_NOT_EXIST ─ A query hit a table that does not exist\n│ evidence:\n│   table Post does not exist in the database, but prisma/schema.prisma declares it: preStart\n│     `node migrate.js` did not create it",
    );
  }, 240_000);
});
