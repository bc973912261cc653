import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// drizzle-kit. `push` lists each data-loss statement before asking whether to go on; without a
// terminal (or answered "No, abort") it applies nothing and still exits 0: the schema step
// fails it (schema/drizzle-push-refusal.ts), and these lines say why.
//   · You're about to delete title column in notes table with 1 items
//   [x] All changes were aborted
export const DRIZZLE_RULES: readonly EvidenceRule[] = [
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    variant: "drizzle-kit-push",
    steps: ["schema"],
    pattern: /^· You're about to (?:delete|change|truncate|remove) .{1,300} with \d+ items$/,
  },
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    variant: "drizzle-kit-push",
    steps: ["schema"],
    role: "detail",
    pattern: /Found data-loss statements:|\] All changes were aborted$/,
  },
  // `push` meeting a change it must ask about (a column or table renamed, or dropped and
  // created?): without a terminal its prompt throws, and nothing is applied.
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    variant: "drizzle-kit-prompt",
    steps: ["schema"],
    stack: "drizzle",
    pattern: /^(?:Error: )?Interactive prompts require a TTY terminal/,
  },
  // drizzle-kit without its config file (`drizzle-kit push` with no drizzle.config.*).
  { code: STEP_FAILED, pattern: /^\S{0,300}drizzle\.config\.\w{1,4} file does not exist\s*$/ },
  // The worker's preview (`drizzle-kit push --strict --verbose`) listing a drop of one of the
  // Auth SDK's tables, which it refuses before the push runs (pipeline/steps/schema.ts).
  {
    code: "DESTRUCTIVE_CHANGE_BLOCKED",
    variant: "auth-sdk-tables",
    steps: ["schema"],
    pattern: /^DROP TABLE (?:"public"\.)?"auth_[^"]{1,59}" CASCADE;$/,
  },
];
