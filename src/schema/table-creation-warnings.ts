import path from "node:path";
import { isAppFile } from "../apps/read-app-file.js";
import type { PackageJson } from "../apps/read-package-json.js";

// Libraries that talk to Postgres: an app depending on one expects tables to exist.
const DATABASE_CLIENTS = [
  "@prisma/client",
  "drizzle-orm",
  "kysely",
  "knex",
  "sequelize",
  "typeorm",
  "@mikro-orm/core",
  "pg-promise",
  "postgres",
  "pg",
];

// Migration tooling committed to the repository, and the preStart that would run it.
const TOOLING: readonly { files: string[]; tool: string; preStart: string }[] = [
  {
    files: ["drizzle.config.ts", "drizzle.config.js", "drizzle.config.mjs", "drizzle.config.cjs"],
    tool: "drizzle-kit",
    preStart: "drizzle-kit migrate",
  },
  {
    files: ["knexfile.js", "knexfile.ts", "knexfile.cjs", "knexfile.mjs"],
    tool: "knex",
    preStart: "knex migrate:latest",
  },
  {
    files: [".sequelizerc"],
    tool: "sequelize-cli",
    preStart: "sequelize db:migrate",
  },
];

/**
 * What the deploy record should say when nothing will create the app's tables: no preStart and
 * no Prisma schema with models while the app depends on a database library, or migration
 * tooling committed that no preStart runs. The database starts empty (the docs' first warning),
 * so such an app fails at runtime with `relation "…" does not exist`.
 */
export async function tableCreationWarnings(
  appDir: string,
  app: { preStart: string | undefined; prismaModels: boolean; manifest: PackageJson | null },
): Promise<string[]> {
  if (app.preStart) return [];
  const warnings: string[] = [];
  if (app.prismaModels) {
    if (await isAppFile(appDir, path.join(appDir, "prisma", "migrations", "migration_lock.toml"))) {
      warnings.push(
        'prisma/migrations is committed, but no preStart runs it: CoDuck pushes the Prisma schema instead (additive `prisma db push`); to apply your migrations, set "preStart": "prisma migrate deploy" in coduck.json',
      );
    }
    return warnings;
  }
  for (const { files, tool, preStart } of TOOLING) {
    for (const file of files) {
      if (!(await isAppFile(appDir, path.join(appDir, file)))) continue;
      warnings.push(
        `${file} is committed, but no preStart runs ${tool}: nothing creates the app's tables. Set "preStart": "${preStart}" in coduck.json`,
      );
      return warnings;
    }
  }
  const dependencies = {
    ...(app.manifest?.dependencies as Record<string, unknown> | undefined),
    ...(app.manifest?.devDependencies as Record<string, unknown> | undefined),
  };
  const client = DATABASE_CLIENTS.find((name) => name in dependencies);
  if (client) {
    warnings.push(
      `the app depends on ${client}, but nothing creates its tables: coduck.json sets no preStart and there is no Prisma schema with models. The database starts empty; set a preStart that runs your migrations (e.g. "preStart": "node scripts/migrate.js")`,
    );
  }
  return warnings;
}
