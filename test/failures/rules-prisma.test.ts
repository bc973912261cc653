import { classifyLines } from "./classify-helper.js";

const PUSH_HEADER = [
  "Prisma schema loaded from prisma/schema.prisma",
  'Datasource "db": PostgreSQL database "prj_1", schema "public" at "127.0.0.1:5433"',
  "",
];
const REFUSED =
  "Error: Use the --accept-data-loss flag to ignore the data loss warnings like prisma db push --accept-data-loss";

describe("prisma evidence", () => {
  it("grades db push data-loss warnings: a real loss asks for a migration", async () => {
    const result = await classifyLines("schema", 1, [
      ...PUSH_HEADER,
      "⚠️  There might be data loss when applying the changes:",
      "",
      "  • You are about to drop the column `bio` on the `User` table, which still contains 3 non-null values.",
      "",
      REFUSED,
    ]);
    expect(result).toMatchObject({ code: "DESTRUCTIVE_CHANGE_BLOCKED", variant: "drop-column" });
    expect(result.hint).toMatch(/preStart.*prisma migrate deploy/);
    expect(result.evidence.map((e) => e.text)).toContain(REFUSED);
  });

  it("explains a new unique constraint as no data loss, with its own fix", async () => {
    const result = await classifyLines("schema", 1, [
      ...PUSH_HEADER,
      "⚠️  There might be data loss when applying the changes:",
      "  • A unique constraint covering the columns `[email]` on the table `User` will be added. If there are existing duplicate values, this will fail.",
      REFUSED,
    ]);
    expect(result).toMatchObject({
      code: "DESTRUCTIVE_CHANGE_BLOCKED",
      variant: "unique-constraint",
    });
    expect(result.hint).toMatch(/duplicate/);
    expect(result.hint).toMatch(/No data is dropped/);
  });

  it("gives the data-loss fix when a unique constraint comes with a real loss", async () => {
    const result = await classifyLines("schema", 1, [
      "⚠️  There might be data loss when applying the changes:",
      "  • A unique constraint covering the columns `[email]` on the table `User` will be added. If there are existing duplicate values, this will fail.",
      "  • You are about to drop the `Session` table, which is not empty (4 rows).",
      REFUSED,
    ]);
    expect(result.code).toBe("DESTRUCTIVE_CHANGE_BLOCKED");
    expect(result.variant).toBeUndefined();
    expect(result.hint).toMatch(/prisma migrate deploy/);
  });

  it("calls a push step that cannot run on existing rows MIGRATION_FAILED, not data loss", async () => {
    const result = await classifyLines("schema", 1, [
      ...PUSH_HEADER,
      "Error: ",
      "⚠️ We found changes that cannot be executed:",
      "",
      "  • Changed the type of `age` on the `User` table. No cast exists, the column would be dropped and recreated, which cannot be done since the column is required and there is data in the table.",
      "",
      "You may use the --force-reset flag to drop the database before push like prisma db push --force-reset",
      "All data will be lost.",
    ]);
    expect(result).toMatchObject({ code: "MIGRATION_FAILED", variant: "unexecutable" });
  });

  it("reads prisma migrate's P3xxx codes, with the database error as evidence", async () => {
    const p3018 = await classifyLines("schema", 1, [
      "Applying migration `20240301120000_add_priority`",
      "Error: P3018",
      "",
      "A migration failed to apply. New migrations cannot be applied before the error is recovered from.",
      "",
      "Migration name: 20240301120000_add_priority",
      "",
      "Database error code: 42703",
      "",
      "Database error:",
      'ERROR: column "priority" does not exist',
    ]);
    expect(p3018.code).toBe("MIGRATION_FAILED");
    expect(p3018.evidence.at(-1)?.text).toBe('ERROR: column "priority" does not exist');

    const p3009 = await classifyLines("schema", 1, [
      "Error: P3009",
      "",
      "migrate found failed migrations in the target database, new migrations will not be applied.",
    ]);
    expect(p3009).toMatchObject({
      code: "MIGRATION_FAILED",
      variant: "failed-migration-recorded",
    });
    expect(p3009.hint).toMatch(/migrate resolve/);

    const p3005 = await classifyLines("schema", 1, [
      "Error: P3005",
      "",
      "The database schema is not empty. Read more about how to baseline an existing production database",
    ]);
    expect(p3005).toMatchObject({ code: "MIGRATION_FAILED", variant: "baseline" });
  });

  it("reads the connection codes P1000 and P1001", async () => {
    const auth = await classifyLines("schema", 1, [
      "Error: P1000: Authentication failed against database server at `127.0.0.1`, the provided database credentials for `app` are not valid.",
    ]);
    const unreachable = await classifyLines("schema", 1, [
      "Error: P1001: Can't reach database server at `127.0.0.1:5433`",
      "",
      "Please make sure your database server is running at `127.0.0.1:5433`.",
    ]);
    expect(auth.code).toBe("DATABASE_AUTH_FAILED");
    expect(unreachable).toMatchObject({ code: "DATABASE_UNREACHABLE", retryable: true });
  });

  it("reads P2021, P2022 and P2024 from the client", async () => {
    const table = await classifyLines("start", 1, [
      "PrismaClientKnownRequestError: ",
      "Invalid `prisma.user.count()` invocation:",
      "",
      "The table `public.User` does not exist in the current database.",
      "  code: 'P2021',",
    ]);
    const column = await classifyLines("runtime", null, [
      "Invalid `prisma.user.findMany()` invocation:",
      "The column `User.plan` does not exist in the current database.",
      "  code: 'P2022',",
    ]);
    const pool = await classifyLines("runtime", null, [
      "PrismaClientKnownRequestError: Timed out fetching a new connection from the connection pool. (Current connection pool timeout: 10, connection limit: 21)",
      "  code: 'P2024',",
    ]);
    expect(table.code).toBe("RELATION_DOES_NOT_EXIST");
    expect(table.evidence[0]?.text).toMatch(/The table `public.User` does not exist/);
    expect(column.code).toBe("SCHEMA_MISMATCH");
    expect(pool).toMatchObject({ code: "POOL_EXHAUSTED", variant: "client-pool" });
  });

  it("reads P1012 schema validation, and a missing env() variable while pushing", async () => {
    const invalid = await classifyLines("schema", 1, [
      "Error: Prisma schema validation - (get-config wasm)",
      "Error code: P1012",
      "error: Error validating field `author` in model `Post`: The relation field `author` on model `Post` is missing an opposite relation field on the model `User`.",
    ]);
    const env = await classifyLines("build", 1, [
      "error: Environment variable not found: DIRECT_URL.",
      "  -->  prisma/schema.prisma:8",
    ]);
    expect(invalid.code).toBe("PRISMA_SCHEMA_INVALID");
    expect(env.code).toBe("PRISMA_SCHEMA_INVALID");
  });

  it("takes a WARNING line for what it is", async () => {
    const result = await classifyLines("schema", 1, [
      "WARNING: Your schema specifies the following datasource properties but you are using a Driver Adapter via prisma.config.ts:",
      "Error: P1012",
      'error: Type "Strin" is neither a built-in type, nor refers to another model, composite type, or enum.',
    ]);
    expect(result.code).toBe("PRISMA_SCHEMA_INVALID");
  });
});
