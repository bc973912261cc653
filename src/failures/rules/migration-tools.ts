import type { EvidenceRule } from "./rule.js";

// Migration tools' own failures, with no database error to read: the tool refused to run
// (the fix by stack, in codes.ts, says what to do about each tool's).
//   knex:  Can't take lock to run migrations: Migration table is already locked
//          MigrationLocked: Migration table is already locked
//          The migration directory is corrupt, the following files are missing: …
export const MIGRATION_TOOL_RULES: readonly EvidenceRule[] = [
  {
    code: "MIGRATION_FAILED",
    evidence: "code",
    pattern:
      /^(?:MigrationLocked: )?Migration table is already locked|Can't take lock to run migrations|The migration directory is corrupt/,
  },
];
