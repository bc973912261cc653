import path from "node:path";
import pg from "pg";
import { readOptionalAppFile } from "../apps/read-app-file.js";

// drizzle-kit 0.31's `migrate` prints nothing of the database's error: a failed migration ends
// with its spinner ("applying migrations...") and exit 1. What the user needs is which migration
// it stopped at, told from its journal and what the database records as applied.
const DRIZZLE_MIGRATE = /^\s*(?:npx\s+)?drizzle-kit\s+migrate\b/;
const ERROR_LINE = /error|fail/i;
const OUT_DIR = /\bout\s*:\s*["'`]([\w./-]{1,200})["'`]/;
const MAX_STATEMENT = 300;

/**
 * For a `drizzle-kit migrate` preStart that failed without an error line: "the migration it
 * stopped at: <file> (<its first statement>)". Null when there is an error line to show, or
 * nothing can be told.
 */
export async function drizzleMigrateStoppedAt(
  appDir: string,
  preStart: string,
  output: readonly string[],
  directUrl: string,
): Promise<string | null> {
  if (!DRIZZLE_MIGRATE.test(preStart) || output.some((line) => ERROR_LINE.test(line))) return null;
  try {
    let out = "drizzle";
    for (const name of ["drizzle.config.ts", "drizzle.config.js", "drizzle.config.mjs"]) {
      const config = await readOptionalAppFile(appDir, path.join(appDir, name));
      const found = config === null ? null : OUT_DIR.exec(config);
      if (found) out = found[1]!.replace(/^\.\//, "").replace(/\/$/, "");
      if (config !== null) break;
    }
    if (out.split("/").includes("..")) return null;
    const journal = await readOptionalAppFile(
      appDir,
      path.join(appDir, out, "meta", "_journal.json"),
    );
    if (journal === null) return null;
    const entries = (JSON.parse(journal) as { entries?: { tag?: unknown }[] }).entries ?? [];
    const applied = await appliedCount(directUrl);
    const next = entries[applied]?.tag;
    if (typeof next !== "string" || !/^[\w.-]{1,200}$/.test(next)) return null;
    const file = `${out}/${next}.sql`;
    const sql = await readOptionalAppFile(appDir, path.join(appDir, file));
    const statement = sql
      ?.split("\n")
      .map((line) => line.trim())
      .find((line) => line !== "" && !line.startsWith("--"))
      ?.slice(0, MAX_STATEMENT);
    return `drizzle-kit migrate exited without the database's error; the migration it stopped at: ${file}${statement ? ` (${statement})` : ""}`;
  } catch {
    return null;
  }
}

/** How many migrations drizzle records as applied (drizzle.__drizzle_migrations). */
async function appliedCount(directUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: directUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const table = await client.query<{ found: boolean }>(
      "SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS found",
    );
    if (!table.rows[0]!.found) return 0;
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations",
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}
