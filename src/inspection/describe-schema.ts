import type pg from "pg";
import { SYSTEM_SCHEMAS } from "./read-only-session.js";

export type ColumnShape = {
  name: string;
  type: string;
  nullable: boolean;
  default: string | null;
};

export type TableShape = {
  schema: string;
  name: string;
  kind: string;
  columns: ColumnShape[];
  /** `CREATE [UNIQUE] INDEX …` as Postgres prints it, primary key's included. */
  indexes: { name: string; primary: boolean; definition: string }[];
};

/** The columns (with their types) and indexes of every table and view of the project. */
export async function describeSchema(client: pg.ClientBase): Promise<TableShape[]> {
  const relations = await client.query(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition AND ${SYSTEM_SCHEMAS}
      ORDER BY n.nspname, c.relname`,
  );
  const columns = await client.query(
    `SELECT a.attrelid::int AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS "default"
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [relations.rows.map((r) => r.oid)],
  );
  const indexes = await client.query(
    `SELECT i.indrelid::int AS oid, c.relname AS name, i.indisprimary AS primary,
            pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = ANY($1::oid[])
      ORDER BY i.indrelid, NOT i.indisprimary, c.relname`,
    [relations.rows.map((r) => r.oid)],
  );
  const kinds: Record<string, string> = {
    r: "table",
    p: "partitioned table",
    v: "view",
    m: "materialized view",
  };
  return relations.rows.map((relation) => ({
    schema: relation.schema,
    name: relation.name,
    kind: kinds[relation.kind] ?? relation.kind,
    columns: columns.rows
      .filter((c) => c.oid === relation.oid)
      .map(({ oid: _oid, ...column }) => column),
    indexes: indexes.rows
      .filter((i) => i.oid === relation.oid)
      .map(({ oid: _oid, ...index }) => index),
  }));
}
