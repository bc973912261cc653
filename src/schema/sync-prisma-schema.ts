import path from "node:path";
import { readAppFile } from "../apps/read-app-file.js";
import { makeAppDirectory, removeAppFile } from "../apps/write-app-file.js";
import { applyAdditiveDiff } from "./apply-additive-diff.js";
import type { PrismaSchemaLocation } from "./find-prisma-schema.js";
import { type DatabaseObjects, listDatabaseObjects } from "./list-database-objects.js";
import { PRISMA_SCRIPT_MAX_BYTES, prismaArgs } from "./prisma-commands.js";
import { prismaDeclaredObjects } from "./prisma-declared-objects.js";
import {
  type PrismaVersion,
  prismaVersion,
  supportsDiffOutput,
  supportsExternalTables,
} from "./prisma-version.js";
import { pushWithExternalTables } from "./push-with-external-tables.js";
import { prismaRunner, type RunPrisma } from "./run-prisma.js";
import type { SchemaCommandRunner } from "./schema-command.js";
import { SchemaSyncError } from "./schema-sync-error.js";

export type SyncPrismaSchemaInput = {
  appDir: string;
  schema: PrismaSchemaLocation;
  /** The project database's direct URL (not PgBouncer): what Prisma's schema engine needs. */
  directUrl: string;
  /** Runs each command in `appDir`; see SchemaCommandRunner. */
  run: SchemaCommandRunner;
  /** Writes a line of the platform's own into the step log. */
  say?: (line: string) => void;
  /**
   * The create script (`migrate diff --from-empty`) of this same schema, read before the step
   * (the schema step's read-ahead, beside the build): the push does not run Prisma for it again.
   */
  createScript?: string;
};

export type SchemaSyncResult = {
  /** Tables of the database the schema does not declare, kept as they were (`schema.table`). */
  external: string[];
  /** Enums of the database the schema does not declare, kept as they were. */
  externalEnums: string[];
  /** `db push` with external tables (Prisma 6.13+), or the additive diff before that. */
  method: "external-tables" | "additive-diff";
  prismaVersion: string;
  pushed: boolean;
  /** Whether the push changed the database (false: it was already in sync). */
  changed: boolean;
  /**
   * The script Prisma wrote to create the schema from nothing (`migrate diff --from-empty`),
   * read before the push: what the schema gate checks the database against afterwards, so that
   * the gate need not run Prisma again on the same schema (checkSchemaGate's `createScript`).
   */
  createScript: string;
  summary: string;
};

/**
 * Syncs the database with the app's Prisma schema the way `prisma db push` does, but
 * additively: tables and enums the schema does not declare are kept (the CoDuck Auth SDK keeps
 * its users in the same database), and a change that would lose data is refused, never
 * accepted. Always with the app's own Prisma. It does not generate the client: the pipeline's
 * build step did, from the same schema (generate-prisma-client), and a push never changes what
 * generate writes.
 * Throws a SchemaSyncError, with the failing command's output, when a step fails.
 */
export async function syncPrismaSchema(input: SyncPrismaSchemaInput): Promise<SchemaSyncResult> {
  const { appDir, schema, directUrl } = input;
  const say = input.say ?? (() => {});
  const version = await prismaVersion(appDir);
  if (!version) {
    throw new SchemaSyncError(
      "prisma-missing",
      "the schema declares models but the app has no Prisma CLI installed (node_modules/prisma): add `prisma` to its dependencies",
    );
  }
  if (!supportsDiffOutput(version)) {
    // Checked before any command runs: `migrate diff` is how the push learns what the schema declares.
    throw new SchemaSyncError("prisma-unsupported", unsupportedPrisma(version.version));
  }
  const runPrisma = prismaRunner(appDir, directUrl, input.run);
  const schemaArg = path.relative(appDir, schema.path);
  const scratchDir = path.join(appDir, ".coduck");
  await makeAppDirectory(appDir, scratchDir);
  const defaultSchema = new URL(directUrl).searchParams.get("schema") ?? "public";

  const createScript =
    input.createScript ??
    (await readCreateScript({ appDir, version, runPrisma, schemaArg, scratchDir }));
  const declared = prismaDeclaredObjects(createScript, defaultSchema);
  // Listed last, right before the push, so that a table created meanwhile is not missed.
  const unknown = await unknownObjects(directUrl, declared);
  if (unknown.tables.length + unknown.enums.length > 0) {
    say(
      `keeping what ${schemaArg} does not declare: ${[...unknown.tables, ...unknown.enums].join(", ")}`,
    );
  }
  const method = supportsExternalTables(version) ? "external-tables" : "additive-diff";
  const { changed } =
    method === "external-tables"
      ? await pushWithExternalTables({ appDir, schema, version, unknown, runPrisma })
      : await applyAdditiveDiff({
          appDir,
          schemaArg,
          scratchDir,
          version,
          unknown,
          defaultSchema,
          runPrisma,
          say,
        });

  const kept =
    unknown.tables.length > 0 ? `, kept ${unknown.tables.length} table(s) it does not declare` : "";
  return {
    external: unknown.tables,
    externalEnums: unknown.enums,
    method,
    prismaVersion: version.version,
    pushed: true,
    changed,
    createScript,
    summary: `${changed ? "applied" : "already in sync:"} ${schemaArg} with Prisma ${version.version}${kept}`,
  };
}

/**
 * The script the app's Prisma writes to create the schema from nothing (`migrate diff
 * --from-empty`, no database involved): what the schema declares, as Prisma itself reads it.
 * Written into `scratchDir` (made already), read and removed.
 */
async function readCreateScript(input: {
  appDir: string;
  version: PrismaVersion;
  runPrisma: RunPrisma;
  schemaArg: string;
  scratchDir: string;
}): Promise<string> {
  const scriptFile = path.join(input.scratchDir, "prisma-create.sql");
  try {
    const output = path.relative(input.appDir, scriptFile);
    await input.runPrisma(
      "inspect",
      prismaArgs.createScript(input.version, input.schemaArg, output),
    );
    return await readAppFile(input.appDir, scriptFile, { maxBytes: PRISMA_SCRIPT_MAX_BYTES });
  } finally {
    await removeAppFile(input.appDir, scriptFile);
  }
}

/** What the database holds that the schema does not declare. */
async function unknownObjects(
  directUrl: string,
  declared: DatabaseObjects,
): Promise<DatabaseObjects> {
  try {
    const inDatabase = await listDatabaseObjects(directUrl);
    return {
      tables: inDatabase.tables.filter((table) => !declared.tables.includes(table)),
      enums: inDatabase.enums.filter((name) => !declared.enums.includes(name)),
    };
  } catch (error) {
    const message = `could not list the database's tables: ${String(error)}`;
    throw new SchemaSyncError("inspect", message, { output: [String(error)] }, { cause: error });
  }
}

/** What an app on a Prisma the additive push cannot drive is told (Prisma before 5.12.1). */
export function unsupportedPrisma(version: string): string {
  return `Prisma ${version} cannot be served by CoDuck's automatic schema push: it needs \`prisma migrate diff --output\` (Prisma 5.12.1 or later). Upgrade prisma and @prisma/client to 5.12.1 or later, or apply the schema yourself with "preStart": "prisma migrate deploy" (the client is still generated before the build)`;
}
