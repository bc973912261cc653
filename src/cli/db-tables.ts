import type { Config } from "../config.js";
import { listTables } from "../inspection/list-tables.js";
import { withReadOnlySession } from "../inspection/read-only-session.js";
import { projectOption } from "./cli-arguments.js";
import { terminalText } from "./terminal-text.js";
import { withProvisioning } from "./with-provisioning.js";

/** `coduck-worker db tables --project P [--json]`: tables with row estimates and sizes. */
export async function dbTablesCommand(
  config: Config,
  options: { project: string; json?: boolean },
  out: NodeJS.WritableStream,
): Promise<void> {
  const slug = projectOption(options.project);
  const tables = await withProvisioning(config, (deps) =>
    withReadOnlySession(deps, slug, listTables),
  );
  if (options.json) {
    out.write(`${JSON.stringify(tables, null, 2)}\n`);
    return;
  }
  if (tables.length === 0) {
    out.write(`no tables in the database of ${slug} yet\n`);
    return;
  }
  const names = tables.map((t) => terminalText(`${t.schema}.${t.name}`));
  const width = Math.max(...names.map((n) => n.length), 5);
  out.write(
    `${"table".padEnd(width)}  ${"kind".padEnd(17)}  ${"rows (est.)".padStart(12)}  size\n`,
  );
  tables.forEach((t, i) => {
    const rows = t.rowEstimate === null ? "?" : String(t.rowEstimate);
    out.write(
      `${names[i]!.padEnd(width)}  ${t.kind.padEnd(17)}  ${rows.padStart(12)}  ${kib(t.sizeBytes)}\n`,
    );
  });
}

function kib(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${(bytes / 1024).toFixed(0)} kB`;
}
