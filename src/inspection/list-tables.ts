import type pg from "pg";
import { SYSTEM_SCHEMAS } from "./read-only-session.js";

export type TableSummary = {
  schema: string;
  name: string;
  kind: "table" | "partitioned table" | "view" | "materialized view";
  /** Postgres' estimate (from the last ANALYZE or autovacuum); null when never estimated. */
  rowEstimate: number | null;
  /** Table, indexes and TOAST together. */
  sizeBytes: number;
};

const KINDS = { r: "table", p: "partitioned table", v: "view", m: "materialized view" } as const;

/** Every table and view of the project, with row estimates and sizes, by schema and name. */
export async function listTables(client: pg.ClientBase): Promise<TableSummary[]> {
  const { rows } = await client.query(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
            c.reltuples::float8 AS estimate, pg_total_relation_size(c.oid)::text AS size
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition AND ${SYSTEM_SCHEMAS}
      ORDER BY n.nspname, c.relname`,
  );
  return rows.map((row) => ({
    schema: row.schema,
    name: row.name,
    kind: KINDS[row.kind as keyof typeof KINDS],
    rowEstimate: row.kind === "v" || row.estimate < 0 ? null : Math.round(row.estimate),
    sizeBytes: Number(row.size),
  }));
}
