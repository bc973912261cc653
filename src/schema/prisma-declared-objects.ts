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
  const schemas = [...script.matchAll(CREATE_SCHEMA)].map((m) => m[1]!.replaceAll('""', '"'));
  const home = schemas.length === 1 ? schemas[0]! : defaultSchema;
  const names = (pattern: RegExp) =>
    [...script.matchAll(pattern)].map((m) => qualifiedName(m[1], m[2], home));
  return { tables: names(CREATE_TABLE), enums: names(CREATE_ENUM) };
}
