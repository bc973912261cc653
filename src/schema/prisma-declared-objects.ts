import type { DatabaseObjects } from "./list-database-objects.js";
import { QUALIFIED, QUOTED, qualifiedName } from "./quoted-name.js";

const CREATE_TABLE = new RegExp(
  String.raw`^[ \t]*CREATE TABLE (?:IF NOT EXISTS )?${QUALIFIED}`,
  "gm",
);
const CREATE_ENUM = new RegExp(String.raw`^[ \t]*CREATE TYPE ${QUALIFIED} AS ENUM`, "gm");
const CREATE_SCHEMA = new RegExp(
  String.raw`^[ \t]*CREATE SCHEMA (?:IF NOT EXISTS )?${QUOTED}`,
  "gm",
);

/**
 * The tables and enums a Prisma schema declares, read from the script Prisma writes to create
 * it from nothing (`prisma migrate diff --from-empty --to-schema-datamodel … --script`): Prisma
 * itself resolves @@map, @@schema and implicit many-to-many tables. Unqualified names are in
 * the one schema the script creates, else in `defaultSchema`.
 */
export function prismaDeclaredObjects(script: string, defaultSchema: string): DatabaseObjects {
  const home = homeSchema(script, defaultSchema);
  const names = (pattern: RegExp) =>
    [...script.matchAll(pattern)].map((m) => qualifiedName(m[1], m[2], home));
  return { tables: names(CREATE_TABLE), enums: names(CREATE_ENUM) };
}

/** A table a Prisma schema declares, with its columns, in the order Prisma creates them. */
export type DeclaredTable = { schema: string; name: string; columns: string[] };

// A table's columns follow its head up to the first `\n);` (found with indexOf: a lazy
// `[\s\S]*?` would read to the end of the script again from every head that has none).
const CREATE_TABLE_HEAD = new RegExp(
  String.raw`^[ \t]*CREATE TABLE (?:IF NOT EXISTS )?${QUALIFIED} \(\n`,
  "gm",
);
const TABLE_END = "\n);";
const COLUMN_LINE = new RegExp(String.raw`^[ \t]*${QUOTED} `, "gm");

/**
 * The tables and their columns, from the same script as prismaDeclaredObjects: every table
 * Prisma creates (model tables by their @@map name, implicit many-to-many tables) and every
 * column (by its @map name; relation fields have none, their foreign keys do).
 */
export function prismaDeclaredTables(script: string, defaultSchema: string): DeclaredTable[] {
  const home = homeSchema(script, defaultSchema);
  const tables: DeclaredTable[] = [];
  const head = new RegExp(CREATE_TABLE_HEAD);
  for (let m = head.exec(script); m; m = head.exec(script)) {
    const start = m.index + m[0].length;
    const end = script.indexOf(TABLE_END, start);
    // No later head has an end either.
    if (end === -1) break;
    tables.push({
      schema: m[1] === undefined ? home : unquote(m[1]),
      name: unquote(m[2]!),
      columns: [...script.slice(start, end).matchAll(COLUMN_LINE)].map((c) => unquote(c[1]!)),
    });
    head.lastIndex = end + TABLE_END.length;
  }
  return tables;
}

function homeSchema(script: string, defaultSchema: string): string {
  const schemas = [...script.matchAll(CREATE_SCHEMA)].map((m) => unquote(m[1]!));
  return schemas.length === 1 ? schemas[0]! : defaultSchema;
}

function unquote(identifier: string): string {
  return identifier.replaceAll('""', '"');
}
