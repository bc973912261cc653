import type { Config } from "../../config.js";
import { UsageError } from "../../errors.js";
import { describeSchema, type TableShape } from "../../inspection/describe-schema.js";
import { listTables, type TableSummary } from "../../inspection/list-tables.js";
import { withReadOnlySession } from "../../inspection/read-only-session.js";
import { type RecentRows, recentRows } from "../../inspection/recent-rows.js";
import { type DatabaseInfo, measureDatabase } from "../../provisioning/database-info.js";
import type { Keyring } from "../../secrets/keyring.js";
import { backupRecord, listBackups } from "../../store/backups.js";
import type { Db } from "../../store/prisma.js";

/** What the Data view needs beyond the dashboard's own: the project cluster and the keys. */
export type ProjectDataDeps = { db: Db; config: Config; keyring: Keyring };

export type ProjectData = {
  slug: string;
  info: DatabaseInfo;
  storageWarning: string | null;
  backups: ReturnType<typeof backupRecord>[];
  tables: TableSummary[];
  selected: { shape: TableShape | null; rows: RecentRows } | { error: string } | null;
};

const ROWS = 20;

/**
 * Everything the dashboard's Data view shows of one project, read as `db info`, `db tables`,
 * `db schema` and `db rows` read it (as the project's role, READ ONLY); null when the project
 * has no database.
 */
export async function readProjectData(
  deps: ProjectDataDeps,
  slug: string,
  table: string | undefined,
): Promise<ProjectData | null> {
  const measured = await measureDatabase(deps, slug);
  if (!measured) return null;
  const { info, storageWarning } = measured;
  const backups = (await listBackups(deps.db, info.projectId, 50)).map(backupRecord);
  const { tables, selected } = await withReadOnlySession(deps, slug, async (client) => {
    const tables = await listTables(client);
    if (!table) return { tables, selected: null };
    try {
      const rows = await recentRows(client, table, ROWS);
      const shape =
        (await describeSchema(client)).find(
          (s) => s.schema === rows.schema && s.name === rows.table,
        ) ?? null;
      return { tables, selected: { shape, rows } };
    } catch (error) {
      if (error instanceof UsageError) return { tables, selected: { error: error.message } };
      const code = (error as { code?: string }).code;
      if (code === "25006")
        return {
          tables,
          selected: { error: `refused: reading ${table} would write; the Data view is read-only` },
        };
      // What Postgres refuses the project's role (a table it may not read) is the answer.
      if (code === "42501") return { tables, selected: { error: (error as Error).message } };
      throw error;
    }
  });
  return { slug, info, storageWarning, backups, tables, selected };
}
