import { BANNER_RULES } from "./banners.js";
import { BUILD_TOOL_RULES } from "./build-tools.js";
import { DRIZZLE_RULES } from "./drizzle.js";
import { GIT_RULES } from "./git.js";
import { MEMORY_RULES } from "./memory.js";
import { MIGRATION_TOOL_RULES } from "./migration-tools.js";
import { NETWORK_RULES } from "./network.js";
import { NODE_RUNTIME_RULES } from "./node-runtime.js";
import { PACKAGE_MANAGER_RULES } from "./package-managers.js";
import { POSTGRES_PGBOUNCER_RULES } from "./postgres-pgbouncer.js";
import { PRISMA_RULES } from "./prisma.js";
import { type EvidenceRule, STEP_FAILED } from "./rule.js";
import { TYPESCRIPT_RULES } from "./typescript.js";

/**
 * Every rule, in the order a line is tried: the first rule that matches names the line. Rules
 * that name a failure come before those that only say "an error" (STEP_FAILED); within each,
 * the family order settles overlaps (tsc's TS2307 before Node's "Cannot find module"; a
 * banner, "Error: Command failed: …", before the header of an uncaught error).
 */
const FAMILIES: readonly (readonly EvidenceRule[])[] = [
  BANNER_RULES,
  TYPESCRIPT_RULES,
  PRISMA_RULES,
  DRIZZLE_RULES,
  MIGRATION_TOOL_RULES,
  POSTGRES_PGBOUNCER_RULES,
  PACKAGE_MANAGER_RULES,
  MEMORY_RULES,
  NODE_RUNTIME_RULES,
  NETWORK_RULES,
  BUILD_TOOL_RULES,
  GIT_RULES,
];

const all = FAMILIES.flat();
export const RULES: readonly EvidenceRule[] = [
  ...all.filter((rule) => rule.code !== STEP_FAILED),
  ...all.filter((rule) => rule.code === STEP_FAILED),
];
