import type { Config } from "../config.js";
import { UsageError } from "../errors.js";
import { cellText } from "../inspection/cell-text.js";
import { withReadOnlySession } from "../inspection/read-only-session.js";
import { recentRows } from "../inspection/recent-rows.js";
import { projectOption } from "./cli-arguments.js";
import { terminalText } from "./terminal-text.js";
import { withProvisioning } from "./with-provisioning.js";

const MAX_LIMIT = 1000;
const CELL = 60;

/**
 * `coduck-worker db rows --project P --table T [--limit 20] [--json]`: the most recent rows of
 * one table, read-only. A query the read-only transaction refuses (a view whose function
 * writes) is reported as such.
 */
export async function dbRowsCommand(
  config: Config,
  options: { project: string; table: string; limit?: string; json?: boolean },
  out: NodeJS.WritableStream,
): Promise<void> {
  const slug = projectOption(options.project);
  const limit = Number(options.limit ?? "20");
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new UsageError(`--limit: expected a whole number from 1 to ${MAX_LIMIT}`);
  if (options.table.length === 0 || options.table.length > 200)
    throw new UsageError("--table: expected a table name (schema.table or table)");
  const result = await withProvisioning(config, (deps) =>
    withReadOnlySession(deps, slug, (client) => recentRows(client, options.table, limit)),
  ).catch((error) => {
    if ((error as { code?: string }).code === "25006")
      throw new Error(
        `refused: reading ${options.table} would write (${error.message}); inspection is read-only`,
      );
    throw error;
  });
  if (options.json) {
    out.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  out.write(
    `${terminalText(`${result.schema}.${result.table}`)}: ${result.rows.length} most recent rows, ${result.order}\n`,
  );
  if (result.rows.length === 0) return;
  const cells = result.rows.map((row) => result.columns.map((column) => cell(row[column])));
  const widths = result.columns.map((column, i) =>
    Math.max(column.length, ...cells.map((row) => row[i]!.length)),
  );
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  out.write(`${line(result.columns.map(terminalText))}\n`);
  for (const row of cells) out.write(`${line(row)}\n`);
}

/** One line per row: tabs and newlines in a value become spaces. */
function cell(value: unknown): string {
  return terminalText(
    cellText(typeof value === "string" ? value.replace(/[\r\n\t]/g, " ") : value, CELL),
  );
}
