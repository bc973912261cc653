import { thenLater } from "./then-later.js";

// What a migration tool prints once it has applied everything (or had nothing to apply).
const DONE = String.raw`successfully applied|No pending migrations|already applied|Already up to date|migrations? (?:complete|completed|finished|done)\b|now in sync|migrations applied successfully|Batch \d+ run: \d+ migrations|No migrations were executed|: migrated \(`;

// An npm script named for migrating (`> app@1.0.0 migrate`, `db:migrate`), as npm echoes it.
const NPM_SCRIPT = String.raw`^> \S{1,214} [\w:-]{0,40}migrat`;
// The tools, invoked.
const INVOKED = String.raw`\bprisma migrate (?:deploy|dev|reset)\b|\bdb push\b|\bdrizzle-kit (?:push|migrate)\b|\bmigrate:(?:latest|up|rollback)\b|\bdb:migrate\b|\bmigration:run\b|\bnode-pg-migrate\b|\bmigrateToLatest\b`;
// Their output while applying (Prisma, drizzle-kit, Sequelize, knex, TypeORM, Kysely), and a
// tool or script applying migrations of its own.
const APPLYING = String.raw`\bApplying migration\b|\bapplying migrations\b|: migrating =|\bmigration file "|\bmigration failed with error\b|\bMigration "?\S{1,200}"? failed\b|\bfailed to execute migration\b|\bwhile running migration\b|\bmigrations? (?:are|is) pending\b|\b(?:running|applying|executing)(?: [\w-]{1,20}){0,2} migrations?\b`;
// A SQL script failing (a script's own, psql's), and the Postgres source file of a failed DDL
// statement in a driver's error fields.
const SQL_SCRIPT = String.raw`^migration \S{1,200}\.sql failed|^psql:\S+:\d+: |\bfile"?: ?['"](?:tablecmds|heap|index|indexcmds|namespace|typecmds|sequence|dependency)\.c['"]`;

/**
 * Lines showing that a migration (or `prisma db push`, or a SQL script) ran: a migration
 * tool's invocation, its output while applying one, or a schema-changing statement failing
 * (node-postgres prints the Postgres source file: DDL fails in tablecmds.c and its
 * neighbours, queries in parse_relation.c). A SQL error near one is the migration's failure,
 * not the app's: `column "x" does not exist` while applying 003.sql means the migration is
 * wrong, not that the code expects a column. Words alone are no sign: a boot log saying
 * "skipping migrations" ran none.
 */
export const MIGRATION_ACTIVITY = new RegExp(
  `${DONE}|${NPM_SCRIPT}|${INVOKED}|${APPLYING}|${thenLater(String.raw`\b(?:applying|running|executing)\b`, String.raw`\.sql\b`)}|${SQL_SCRIPT}`,
  "i",
);

/** …unless the line says migrating is over. */
export const MIGRATION_DONE = new RegExp(DONE, "i");

/** How far (in lines) from a migration's last sign a SQL error is still its failure. */
export const MIGRATION_REACH = { before: 40, after: 25 };
