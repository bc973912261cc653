/**
 * The baseline the classifier is measured against (bench item 8): what a first attempt looks
 * like. One regular expression per code, tried on each line in order; the first line that
 * matches any of them decides. No ranking, no migration context, no exit status.
 */
import type { FailureCode } from "../../src/failures/codes.js";

const FIRST_MATCH: readonly [RegExp, FailureCode][] = [
  [/relation "[^"]+" does not exist|P2021/, "RELATION_DOES_NOT_EXIST"],
  [/column "[^"]+" does not exist|P2022/, "SCHEMA_MISMATCH"],
  [/data loss|--accept-data-loss/, "DESTRUCTIVE_CHANGE_BLOCKED"],
  [/migrat\w* failed|P30\d\d/i, "MIGRATION_FAILED"],
  [/bouncer config error/, "BOUNCER_CONFIG_ERROR"],
  [
    /too many (clients|connections)|P2024|timeout exceeded when trying to connect/,
    "POOL_EXHAUSTED",
  ],
  [/prepared statement "[^"]+" (already exists|does not exist)/, "PREPARED_STATEMENT_CONFLICT"],
  [/ECONNREFUSED|ENOTFOUND|P1001/, "DATABASE_UNREACHABLE"],
  [/password authentication failed|SASL authentication failed|P1000/, "DATABASE_AUTH_FAILED"],
  [/SSL/, "DATABASE_SSL_MISMATCH"],
  [/P1012|schema validation/i, "PRISMA_SCHEMA_INVALID"],
  [/npm ci|lockfile|lock file/i, "LOCKFILE_OUT_OF_SYNC"],
  [/ERESOLVE|E404|ETARGET/, "DEPENDENCY_RESOLUTION_FAILED"],
  [/Missing script/, "MISSING_SCRIPT"],
  [/error TS\d+/, "TYPESCRIPT_ERROR"],
  [/Cannot find module|ERR_MODULE_NOT_FOUND/, "MODULE_NOT_FOUND"],
  [/heap out of memory|Killed/, "OUT_OF_MEMORY"],
  [/EADDRINUSE/, "PORT_IN_USE"],
  [/Build failed|Failed to compile/i, "BUILD_FAILED"],
  [/Error:/, "START_CRASHED"],
];

export function naiveClassify(log: string): FailureCode {
  for (const line of log.split("\n")) {
    for (const [pattern, code] of FIRST_MATCH) if (pattern.test(line)) return code;
  }
  return "UNKNOWN";
}
