/**
 * The database stacks a log can show, and the lines that show one: a tool's invocation, its
 * banner or its error class, a frame in its package. A fix names the command and the file of
 * the stack the failing step used (a code's `variants` keyed by stack, in codes.ts).
 */
export const STACKS = [
  "prisma",
  "drizzle",
  "knex",
  "sequelize",
  "typeorm",
  "kysely",
  "node-postgres",
  "postgres.js",
] as const;
export type Stack = (typeof STACKS)[number];

/** Each pattern is read like a rule's (a literal in every alternative, linear). */
export const STACK_SIGNS: readonly { stack: Stack; pattern: RegExp }[] = [
  {
    stack: "prisma",
    pattern:
      /Prisma schema loaded from|\bprisma (?:migrate|db push|generate|validate)\b|PrismaClient\w{0,40}Error|node_modules\/(?:@prisma|\.prisma|prisma)\/|\bprisma\/schema\.prisma\b/,
  },
  {
    stack: "drizzle",
    pattern: /drizzle-kit|drizzle-orm|DrizzleQueryError|drizzle\.config/,
  },
  { stack: "knex", pattern: /\bknex\b|knexfile|MigrationLocked|\bknex_migrations\b/i },
  { stack: "sequelize", pattern: /sequelize/i },
  { stack: "typeorm", pattern: /typeorm|QueryFailedError|MigrationExecutor/i },
  { stack: "kysely", pattern: /kysely/i },
  // The drivers under them, by their frames (an ORM's sign, nearer the failure, names the fix).
  { stack: "node-postgres", pattern: /node_modules\/pg(?:-pool|-protocol)?\// },
  { stack: "postgres.js", pattern: /node_modules\/postgres\/src\// },
];
