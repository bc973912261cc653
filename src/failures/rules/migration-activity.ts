import { thenLater } from "./then-later.js";

/**
 * Lines showing that a migration (or `prisma db push`, or a SQL script) is running, or that a
 * schema-changing statement failed (node-postgres prints the Postgres source file: DDL fails in
 * tablecmds.c and its neighbours, queries in parse_relation.c). A SQL error near one is the
 * migration's failure, not the app's: `column "x" does not exist` while applying 003.sql means
 * the migration is wrong, not that the code expects a column.
 */
export const MIGRATION_ACTIVITY = new RegExp(
  String.raw`\bmigrat(?:e|es|ed|ing|ion|ions)\b|${thenLater(String.raw`\b(?:applying|running|executing)\b`, String.raw`\.sql\b`)}|^psql:\S+:\d+: |\bdb push\b|\bdrizzle-kit (?:push|migrate)\b|\bfile: '(?:tablecmds|heap|index|indexcmds|namespace|typecmds|sequence|dependency)\.c'`,
  "i",
);

/** …unless the line says migrating is over. */
export const MIGRATION_DONE =
  /successfully applied|No pending migrations|already applied|Already up to date|migrations? (?:complete|completed|finished|done)\b|now in sync/i;

/** How far (in lines) from a migration's last sign a SQL error is still its failure. */
export const MIGRATION_REACH = { before: 40, after: 25 };
