/**
 * Captures the SQL-stack part of the failure corpus (issue 22): Knex, Sequelize, TypeORM, Kysely,
 * node-postgres and postgres.js, at the schema step (migrations in preStart) and at start and
 * runtime through the platform's PgBouncer, each into captured/<stack>.jsonl.
 *
 *   npx tsx scripts/corpus/sql-stacks.ts [stack] [case-id-filter]
 */
import { knexCases } from "./sql-stacks-knex.js";
import { runCases } from "./sql-stacks-lib.js";

const groups = {
  knex: { stack: "knex", cases: knexCases },
} as const;

const [only, filter = ""] = process.argv.slice(2);
for (const [file, group] of Object.entries(groups)) {
  if (only && only !== "all" && only !== file) continue;
  await runCases(file, group.stack, [...group.cases], filter);
}
