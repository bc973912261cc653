import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// Prisma's CLI (db push, migrate, validate, generate) and Client: its error codes (P1xxx
// connection, P2xxx query, P3xxx migrate) and the sentences it prints with them.
export const PRISMA_RULES: readonly EvidenceRule[] = [
  // `prisma db push` without --accept-data-loss. Each warning names a change; the variant says
  // which, because a new unique constraint loses no data and needs another fix than a drop.
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    pattern:
      /Use the --accept-data-loss flag to ignore the data loss warnings|There might be data loss when applying the changes/i,
  },
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    variant: "unique-constraint",
    pattern:
      /A unique constraint covering the columns? `?\[[^[\]]*\]`? on the table \S+ will be added/i,
  },
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    variant: "enum-value",
    pattern: /The values? \[[^[\]]*\] on the enum \S+ will be removed/i,
  },
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    variant: "drop-column",
    pattern:
      /You are about to drop the column \S+ on the \S+ table, which still contains \d+ non-null/i,
  },
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    variant: "drop-table",
    pattern: /You are about to drop the \S+ table, which is not empty/i,
  },
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    variant: "type-change",
    pattern:
      /would be dropped and recreated\. This will lead to data loss|You are about to alter the column \S+ on the \S+ table, which contains \d+ non-null values?\. The data in that column will be cast/i,
  },
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    variant: "primary-key",
    pattern: /The primary key for the \S+ table will be changed/i,
  },

  // A push step that cannot run on the rows the table has, whatever the flags.
  {
    code: "MIGRATION_FAILED",
    variant: "unexecutable",
    pattern:
      /changes that cannot be executed|it is not possible to execute this step|which cannot be done since the column is required|required, but there are \d+ existing NULL values/i,
  },
  // prisma migrate.
  {
    code: "MIGRATION_FAILED",
    evidence: "code",
    variant: "failed-migration-recorded",
    pattern: /\bP3009\b|found failed migrations in the target database/i,
  },
  {
    code: "MIGRATION_FAILED",
    evidence: "code",
    variant: "baseline",
    pattern: /\bP3005\b|The database schema is not empty/i,
  },
  {
    code: "MIGRATION_FAILED",
    pattern:
      /\bP3\d{3}\b|A migration failed to apply|failed to apply cleanly to the shadow database/,
  },
  // The JS schema engine (driver adapters) prints no Postgres message for a failed migration:
  // "external connector error", the constraint, and the migration in its trace.
  {
    code: "MIGRATION_FAILED",
    steps: ["schema"],
    pattern:
      /^(?:Null|Unique|Foreign key|Check) constraint failed|^Error: external connector error/,
  },
  {
    code: "MIGRATION_FAILED",
    steps: ["schema"],
    pattern: /^\s{0,40}with migration_name="[\w.-]{1,200}"/,
  },

  // P1012: schema.prisma does not validate.
  {
    code: "PRISMA_SCHEMA_INVALID",
    evidence: "code",
    pattern:
      /\bP1012\b|Prisma schema validation|Schema validation error|is neither a built-in type, nor refers to another model|\bError validating(?! datasource)|Error parsing attribute|\bSchema parsing\b|Validation Error Count|is missing an opposite relation field|cannot be defined because a (?:model|enum|type|composite type) with that name already exists|This line is (?:invalid|not a valid)/i,
  },
  {
    code: "PRISMA_SCHEMA_INVALID",
    steps: ["install", "build", "schema"],
    pattern: /Environment variable not found: \w+|Error validating datasource/,
  },
  // prisma.config.ts's env() helper, for a variable that is not set; other programs say the
  // same, so only where the log shows Prisma ran.
  {
    code: "PRISMA_SCHEMA_INVALID",
    steps: ["install", "build", "schema"],
    stack: "prisma",
    pattern: /^(?:\w{0,40}Error: )?Missing required environment variable: \w+/,
  },

  // P1xxx: the connection.
  {
    code: "DATABASE_AUTH_FAILED",
    evidence: "code",
    pattern:
      /\bP10(?:00|03|10)\b|Authentication failed against database server|Database `[^`]+` does not exist|was denied access on the database/,
  },
  {
    code: "DATABASE_UNREACHABLE",
    evidence: "code",
    pattern:
      /\bP10(?:01|02|17)\b|Can't reach database server|was reached but timed out|Server has closed the connection/,
  },
  // P1002's context line when the migrate lock is what timed out: a migration through the
  // transaction pooler (the lock stays on a pooled server connection), not an unreachable
  // database. It follows the P1002 lines, so it is the verdict.
  {
    code: "MIGRATION_THROUGH_POOLER",
    evidence: "code",
    pattern: /Timed out trying to acquire a postgres advisory lock/,
  },

  // P2024: the Client's own pool.
  {
    code: "POOL_EXHAUSTED",
    variant: "client-pool",
    pattern: /Timed out fetching a new connection from the (?:connection )?pool/i,
  },
  {
    code: "POOL_EXHAUSTED",
    evidence: "code",
    variant: "client-pool",
    role: "detail",
    pattern: /\bP2024\b/,
  },

  // P2021 / P2022 and the driver adapter's names for them.
  {
    code: "RELATION_DOES_NOT_EXIST",
    inMigration: "MIGRATION_FAILED",
    pattern: /The table `[^`]+` does not exist in the current database/i,
  },
  {
    code: "RELATION_DOES_NOT_EXIST",
    evidence: "code",
    inMigration: "MIGRATION_FAILED",
    role: "detail",
    pattern: /\bcode:\s*'P2021'|\bTableDoesNotExist\b/,
  },
  {
    code: "SCHEMA_MISMATCH",
    inMigration: "MIGRATION_FAILED",
    pattern: /The column `[^`]+` does not exist in the current database/i,
  },
  {
    code: "SCHEMA_MISMATCH",
    evidence: "code",
    inMigration: "MIGRATION_FAILED",
    role: "detail",
    pattern: /\bcode:\s*'P2022'|\bColumnNotFound\b/,
  },

  // P2002 while pushing: the existing rows break a new constraint (e.g. with --accept-data-loss).
  {
    code: "MIGRATION_FAILED",
    evidence: "code",
    steps: ["schema"],
    pattern: /\bP2002\b|Unique constraint failed on the (?:fields|constraint)/,
  },
  {
    code: STEP_FAILED,
    evidence: "code",
    inMigration: "MIGRATION_FAILED",
    pattern: /\bP2002\b|Unique constraint failed on the (?:fields|constraint)/,
  },
];
