/**
 * Captures the SQL-stack part of the failure corpus (issue 22): Knex, Sequelize, TypeORM, Kysely,
 * node-postgres and postgres.js, at the schema step (migrations in preStart) and at start and
 * runtime through the platform's PgBouncer, each into captured/<stack>.jsonl.
 *
 *   npx tsx scripts/corpus/sql-stacks.ts [stack] [case-id-filter]
 */
import { knexCases } from "./sql-stacks-knex.js";
import { kyselyCases } from "./sql-stacks-kysely.js";
import { runCases } from "./sql-stacks-lib.js";
import { pgCases } from "./sql-stacks-pg.js";
import { postgresJsCases } from "./sql-stacks-postgresjs.js";
import { sequelizeCases } from "./sql-stacks-sequelize.js";
import { typeormCases } from "./sql-stacks-typeorm.js";

const groups = {
  knex: { stack: "knex", cases: knexCases },
  "node-postgres": { stack: "node-postgres", cases: pgCases },
  "postgres-js": { stack: "postgres.js", cases: postgresJsCases },
  kysely: { stack: "kysely", cases: kyselyCases },
  sequelize: { stack: "sequelize", cases: sequelizeCases },
  typeorm: { stack: "typeorm", cases: typeormCases },
} as const;

const [only, filter = ""] = process.argv.slice(2);
for (const [file, group] of Object.entries(groups)) {
  if (only && only !== "all" && only !== file) continue;
  await runCases(file, group.stack, [...group.cases], filter);
}
