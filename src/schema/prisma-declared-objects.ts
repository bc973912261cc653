import type { DatabaseObjects } from "./list-database-objects.js";
import { QUALIFIED, QUOTED, qualifiedName } from "./quoted-name.js";

const CREATE_TABLE = new RegExp(String.raw`^\s*CREATE TABLE (?:IF NOT EXISTS )?${QUALIFIED}`, "gm");
const CREATE_ENUM = new RegExp(String.raw`^\s*CREATE TYPE ${QUALIFIED} AS ENUM`, "gm");
const CREATE_SCHEMA = new RegExp(String.raw`^\s*CREATE SCHEMA (?:IF NOT EXISTS )?${QUOTED}`, "gm");

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

const CREATE_TABLE_BODY = new RegExp(
  String.raw`^\s*CREATE TABLE (?:IF NOT EXISTS )?${QUALIFIED} \(\n([\s\S]*?)\n\);`,
  "gm",
);
const COLUMN_LINE = new RegExp(String.raw`^[ \t]*${QUOTED} `, "gm");

/**
 * The tables and their columns, from the same script as prismaDeclaredObjects: every table
 * Prisma creates (model tables by their @@map name, implicit many-to-many tables) and every
 * column (by its @map name; relation fields have none, their foreign keys do).
 */
export function prismaDeclaredTables(script: string, defaultSchema: string): DeclaredTable[] {
  const home = homeSchema(script, defaultSchema);
  return [...script.matchAll(CREATE_TABLE_BODY)].map((m) => ({
    schema: m[1] === undefined ? home : unquote(m[1]),
    name: unquote(m[2]!),
    columns: [...m[3]!.matchAll(COLUMN_LINE)].map((c) => unquote(c[1]!)),
  }));
}

function homeSchema(script: string, defaultSchema: string): string {
  const schemas = [...script.matchAll(CREATE_SCHEMA)].map((m) => unquote(m[1]!));
  return schemas.length === 1 ? schemas[0]! : defaultSchema;
}

function unquote(identifier: string): string {
  return identifier.replaceAll('""', '"');
}
