import { writeExternalTablesConfig } from "./external-tables-config.js";
import type { PrismaSchemaLocation } from "./find-prisma-schema.js";
import type { DatabaseObjects } from "./list-database-objects.js";
import { prismaArgs } from "./prisma-commands.js";
import type { PrismaVersion } from "./prisma-version.js";
import type { RunPrisma } from "./run-prisma.js";
import { SchemaSyncError } from "./schema-sync-error.js";

/**
 * `prisma db push` (never `--accept-data-loss`) through a generated config that declares the
 * database's unknown tables and enums external (Prisma 6.13+). Prisma keeps its own checks: a
 * change that would lose data is refused, and the push fails with its warning.
 * Resolves with whether the database changed.
 */
export async function pushWithExternalTables(input: {
  appDir: string;
  schema: PrismaSchemaLocation;
  version: PrismaVersion;
  unknown: DatabaseObjects;
  runPrisma: RunPrisma;
}): Promise<{ changed: boolean }> {
  const config = await writeExternalTablesConfig({
    appDir: input.appDir,
    appConfigFile: input.schema.configFile,
    schemaPath: input.schema.path,
    external: input.unknown,
  });
  const args = prismaArgs.push(input.version, config);
  const { output } = await input.runPrisma("push", args);
  // Every Prisma since 2.x ends a push that worked with one of these two lines: without one,
  // the CLI stopped before it was done.
  const unchanged = output.some((line) => /already in sync/i.test(line));
  if (!unchanged && !output.some((line) => /now in sync/i.test(line))) {
    throw new SchemaSyncError(
      "push",
      "`prisma db push` exited without reporting the database in sync",
      {
        command: `prisma ${args.join(" ")}`,
        exitCode: 0,
        output,
      },
    );
  }
  return { changed: !unchanged };
}
