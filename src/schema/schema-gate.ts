import path from "node:path";
import pg from "pg";
import { readAppFile } from "../apps/read-app-file.js";
import { makeAppDirectory, removeAppFile } from "../apps/write-app-file.js";
import { coerceError } from "../errors.js";
import { createClassifier } from "../failures/classify.js";
import { StepFailure } from "../failures/step-failure.js";
import type { PrismaSchemaLocation } from "./find-prisma-schema.js";
import { PRISMA_SCRIPT_MAX_BYTES, prismaArgs } from "./prisma-commands.js";
import { type DeclaredTable, prismaDeclaredTables } from "./prisma-declared-objects.js";
import { prismaUnreadObjects, type UnreadObject } from "./prisma-unread-objects.js";
import { prismaVersion } from "./prisma-version.js";
import { prismaRunner } from "./run-prisma.js";
import type { SchemaCommandRunner } from "./schema-command.js";
import { SchemaSyncError } from "./schema-sync-error.js";

export type SchemaGateInput = {
  appDir: string;
  schema: PrismaSchemaLocation;
  /** The project database's direct URL (not PgBouncer). */
  directUrl: string;
  /** Runs the app's Prisma CLI in `appDir`; see SchemaCommandRunner. */
  run: SchemaCommandRunner;
  say: (line: string) => void;
  /** What applied the schema, for the failure's sentence: "preStart `npm run migrate`". */
  appliedBy: string;
  /**
   * The script the app's Prisma wrote for this schema with `migrate diff --from-empty`, when
   * the caller already has it (the worker's push reads it first: SchemaSyncResult's
   * createScript). The same schema, Prisma and config give the same script, so the gate reads
   * the tables from it instead of starting Prisma, in a box of its own, a second time.
   */
  createScript?: string;
};

const NAMED_AT_MOST = 5;

/**
 * The schema gate, between the schema step's work and the start: every table and column the
 * app's Prisma schema declares (as Prisma itself names them, from the script it would create
 * the schema with) must exist in the database, or the new release would fail at its first
 * query. A missing table fails the step with RELATION_DOES_NOT_EXIST, a missing column with
 * SCHEMA_MISMATCH, naming them; the previous release keeps serving. Objects Prisma Client
 * never reads (@@ignore models, @ignore and Unsupported fields) are not required.
 */
export async function checkSchemaGate(input: SchemaGateInput): Promise<void> {
  const schemaArg = path.relative(input.appDir, input.schema.path);
  const declared = await declaredTables(input, schemaArg);
  if (!declared) return;
  const present = await databaseColumns(input.directUrl, [
    ...new Set(declared.map((t) => t.schema)),
  ]);
  const defaultSchema = new URL(input.directUrl).searchParams.get("schema") ?? "public";
  const shown = (schema: string, ...names: string[]) =>
    [...(schema === defaultSchema ? [] : [schema]), ...names].join(".");

  const missingTables = declared.filter((t) => !present.has(key(t.schema, t.name)));
  if (missingTables.length > 0) {
    const sentence = missing(
      "table",
      missingTables.map((t) => shown(t.schema, t.name)),
      schemaArg,
      input.appliedBy,
    );
    throw new StepFailure("RELATION_DOES_NOT_EXIST", sentence, { evidence: sentence });
  }
  const missingColumns = declared.flatMap((t) => {
    const columns = present.get(key(t.schema, t.name))!;
    return t.columns.filter((c) => !columns.has(c)).map((c) => shown(t.schema, t.name, c));
  });
  if (missingColumns.length > 0) {
    const sentence = missing("column", missingColumns, schemaArg, input.appliedBy);
    throw new StepFailure("SCHEMA_MISMATCH", sentence, { evidence: sentence });
  }
  const columns = declared.reduce((sum, t) => sum + t.columns.length, 0);
  input.say(
    `schema check: the ${declared.length} table(s) and ${columns} column(s) ${schemaArg} declares all exist`,
  );
}

/** "column Post.title does not exist in the database, but prisma/schema.prisma declares it: …" */
function missing(kind: string, names: string[], schemaArg: string, appliedBy: string): string {
  const listed =
    names.length > NAMED_AT_MOST
      ? `${names.slice(0, NAMED_AT_MOST).join(", ")} and ${names.length - NAMED_AT_MOST} more`
      : names.join(", ");
  const one = names.length === 1;
  return `${kind}${one ? "" : "s"} ${listed} ${one ? "does" : "do"} not exist in the database, but ${schemaArg} declares ${one ? "it" : "them"}: ${appliedBy} did not create ${one ? "it" : "them"}`;
}

/**
 * The tables and columns the app's Prisma reads, from `prisma migrate diff --from-empty` (run
 * here unless the caller gave its script); null (the check is skipped, saying why) when the app
 * has no Prisma CLI to read its schema with.
 */
async function declaredTables(
  input: SchemaGateInput,
  schemaArg: string,
): Promise<DeclaredTable[] | null> {
  const script = input.createScript ?? (await createScript(input, schemaArg));
  if (script === null) return null;
  const defaultSchema = new URL(input.directUrl).searchParams.get("schema") ?? "public";
  const unread: UnreadObject[] = [];
  for (const file of input.schema.files) {
    unread.push(...prismaUnreadObjects(await readAppFile(input.appDir, file)));
  }
  const isUnread = (t: DeclaredTable, column?: string) =>
    unread.some(
      (u) => (u.schema ?? t.schema) === t.schema && u.table === t.name && u.column === column,
    );
  return prismaDeclaredTables(script, defaultSchema)
    .filter((t) => !isUnread(t))
    .map((t) => ({ ...t, columns: t.columns.filter((c) => !isUnread(t, c)) }));
}

/** The create script, from the app's own Prisma; null when it has none (said in the log). */
async function createScript(input: SchemaGateInput, schemaArg: string): Promise<string | null> {
  const version = await prismaVersion(input.appDir);
  if (!version) {
    input.say(
      `schema check skipped: the app has no Prisma CLI (node_modules/prisma) to read ${schemaArg} with`,
    );
    return null;
  }
  const scratchDir = path.join(input.appDir, ".coduck");
  const scriptFile = path.join(scratchDir, "prisma-gate.sql");
  const runPrisma = prismaRunner(input.appDir, input.directUrl, input.run);
  try {
    await makeAppDirectory(input.appDir, scratchDir);
    const output = path.relative(input.appDir, scriptFile);
    await runPrisma("inspect", prismaArgs.createScript(version, schemaArg, output));
    return await readAppFile(input.appDir, scriptFile, { maxBytes: PRISMA_SCRIPT_MAX_BYTES });
  } catch (error) {
    if (!(error instanceof SchemaSyncError)) throw error;
    throw new StepFailure(
      "MIGRATION_FAILED",
      error.message,
      { exitCode: error.result.exitCode ?? null },
      { cause: error },
    );
  } finally {
    await removeAppFile(input.appDir, scriptFile);
  }
}

function key(schema: string, table: string): string {
  return JSON.stringify([schema, table]);
}

/** Each table's (and view's) columns in the given schemas, by key(schema, table). */
async function databaseColumns(url: string, schemas: string[]): Promise<Map<string, Set<string>>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  let connected = false;
  try {
    await client.connect();
    connected = true;
    const { rows } = await client.query<{ schema: string; table: string; column: string | null }>(
      `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY($1::text[])`,
      [schemas],
    );
    const tables = new Map<string, Set<string>>();
    for (const row of rows) {
      const columns = tables.get(key(row.schema, row.table)) ?? new Set<string>();
      if (row.column !== null) columns.add(row.column);
      tables.set(key(row.schema, row.table), columns);
    }
    return tables;
  } catch (error) {
    throw unreadable(error);
  } finally {
    if (connected) await client.end().catch(() => {});
  }
}

/** The database could not be read: the code its error names (unreachable, auth), else UNKNOWN. */
function unreadable(error: unknown): StepFailure {
  const message = coerceError(error).message;
  const classifier = createClassifier("schema");
  classifier.push(message);
  const { code } = classifier.finish({ exitCode: 1 });
  const detail = `the schema check could not read the database's tables: ${message}`;
  return new StepFailure(code, detail, { evidence: message }, { cause: error });
}
