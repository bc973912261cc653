import { readdir } from "node:fs/promises";
import path from "node:path";
import { PACKAGE_ROOT } from "../../package-root.js";
import { type Check, fail, ok } from "../check.js";

/** The worker's database answers and has every migration this build ships applied. */
export const postgresMigrations: Check = {
  name: "postgres",
  async run(ctx) {
    const shipped = (
      await readdir(path.join(PACKAGE_ROOT, "prisma", "migrations"), { withFileTypes: true })
    )
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    const where = databaseName(ctx.config.databaseUrl);
    let applied: Set<string>;
    try {
      applied = await ctx.withPostgres(ctx.config.databaseUrl, async (client) => {
        const table = await client.query("SELECT to_regclass('public._prisma_migrations') AS t");
        if (!table.rows[0].t) return new Set<string>();
        const { rows } = await client.query(
          `SELECT migration_name FROM _prisma_migrations
           WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
        );
        return new Set(rows.map((row) => row.migration_name as string));
      });
    } catch (error) {
      if ((error as { code?: string }).code === "3D000")
        return fail(`the worker's database ${where} does not exist`, "run `coduck-worker migrate`");
      return fail(
        `the worker's database ${where} cannot be reached: ${(error as Error).message}`,
        "start Postgres, or set DATABASE_URL to the worker's database; `coduck-worker migrate` creates it",
      );
    }
    const pending = shipped.filter((name) => !applied.has(name));
    if (pending.length > 0) {
      return fail(
        `the worker's database ${where} lacks ${pending.length} of ${shipped.length} migrations (${pending.join(", ")})`,
        "run `coduck-worker migrate`",
      );
    }
    return ok(`worker database ${where} reachable, all ${shipped.length} migrations applied`);
  },
};

function databaseName(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}
