import path from "node:path";
import { readAppFile } from "../apps/read-app-file.js";
import { writeAppFile } from "../apps/write-app-file.js";
import { additiveScript } from "./additive-script.js";
import type { DatabaseObjects } from "./list-database-objects.js";
import { PRISMA_SCRIPT_MAX_BYTES, prismaArgs } from "./prisma-commands.js";
import { type PrismaVersion, supportsDiffOutput } from "./prisma-version.js";
import type { RunPrisma } from "./run-prisma.js";
import { SchemaSyncError } from "./schema-sync-error.js";

/**
 * The additive push for a Prisma without external tables (before 6.13): the script from the
 * live database to the schema (`prisma migrate diff`), without the statements that drop what
 * the schema does not declare, run with `prisma db execute`. `migrate diff` does not weigh
 * data loss as `db push` does, so any statement that could lose data (even on an empty
 * column) is refused, with the warning `db push` would print.
 * Resolves with whether the database changed.
 */
export async function applyAdditiveDiff(input: {
  appDir: string;
  /** The schema path as the commands take it (relative to the app directory). */
  schemaArg: string;
  scratchDir: string;
  version: PrismaVersion;
  unknown: DatabaseObjects;
  defaultSchema: string;
  runPrisma: RunPrisma;
  say: (line: string) => void;
}): Promise<{ changed: boolean }> {
  const { appDir, schemaArg, scratchDir, version, runPrisma } = input;
  if (!supportsDiffOutput(version)) {
    throw new SchemaSyncError(
      "push",
      `Prisma ${version.version} can neither keep unknown tables in \`db push\` (6.13+) nor write \`migrate diff\` to a file (5.12.1+): upgrade prisma, or set a preStart that applies your migrations`,
    );
  }
  const changeFile = path.join(scratchDir, "prisma-change.sql");
  const changeArgs = prismaArgs.changeScript(version, schemaArg, path.relative(appDir, changeFile));
  await runPrisma("push", changeArgs);
  const diff = additiveScript(
    await readAppFile(appDir, changeFile, { maxBytes: PRISMA_SCRIPT_MAX_BYTES }),
    input.unknown,
    input.defaultSchema,
  );
  if (diff.destructive.length > 0) {
    const output = [
      "⚠️  There might be data loss when applying the changes:",
      ...diff.destructive.map((statement) => `  • ${statement.replace(/\s+/g, " ")}`),
      `Not applied: CoDuck applies schema changes additively and never accepts data loss (Prisma ${version.version} has no external tables, so each statement was checked).`,
    ];
    for (const line of output) input.say(line);
    throw new SchemaSyncError("push", "the schema change could lose data", {
      command: `prisma ${changeArgs.join(" ")}`,
      exitCode: null,
      output,
    });
  }
  if (diff.script === "") return { changed: false };
  const additiveFile = path.join(scratchDir, "prisma-additive.sql");
  await writeAppFile(appDir, additiveFile, diff.script);
  await runPrisma("push", prismaArgs.execute(schemaArg, path.relative(appDir, additiveFile)));
  return { changed: true };
}
