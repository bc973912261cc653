import type pg from "pg";
import { UsageError } from "../errors.js";
import { SYSTEM_SCHEMAS } from "./read-only-session.js";

export type RecentRows = {
  schema: string;
  table: string;
  /** How "most recent" was decided: `primary key (id) descending`, `physical order (ctid) descending`, or `as the view returns them`. */
  order: string;
  columns: string[];
  rows: Record<string, unknown>[];
};

type Relation = { oid: number; schema: string; name: string; kind: string };

/**
 * Resolves a table name from the catalog, never by splicing it into SQL: `name` (looked up in
 * every schema of the project, `public` first) or `schema.name`. Unknown or ambiguous names are
 * a UsageError naming what exists.
 */
export async function resolveTable(client: pg.ClientBase, spec: string): Promise<Relation> {
  const candidates = await client.query<Relation>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${SYSTEM_SCHEMAS}
        AND (c.relname = $1 OR (strpos($1, '.') > 0
             AND n.nspname = split_part($1, '.', 1) AND c.relname = substr($1, strpos($1, '.') + 1)))
      ORDER BY (c.relname = $1) DESC, (n.nspname = 'public') DESC, n.nspname`,
    [spec],
  );
  const exact = candidates.rows.filter((r) => r.name === spec);
  const found = exact.length > 0 ? exact : candidates.rows;
  if (found.length === 0)
    throw new UsageError(
      `no table ${JSON.stringify(spec)} in this project's database (see coduck-worker db tables)`,
    );
  const inPublic = found.filter((r) => r.schema === "public");
  if (found.length > 1 && inPublic.length !== 1)
    throw new UsageError(
      `${JSON.stringify(spec)} names several tables: ${found.map((r) => `${r.schema}.${r.name}`).join(", ")}; give the schema`,
    );
  return inPublic.length === 1 && found.length > 1 ? inPublic[0]! : found[0]!;
}

/**
 * The most recent rows of a table: by primary key descending, or for a table without one by
 * physical position (ctid) descending, which puts the last inserted rows first until updates or
 * VACUUM move rows. Identifiers are quoted; the limit is a parameter.
 */
export async function recentRows(
  client: pg.ClientBase,
  spec: string,
  limit: number,
): Promise<RecentRows> {
  const relation = await resolveTable(client, spec);
  const q = (identifier: string) => client.escapeIdentifier(identifier);
  const primaryKey = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1 AND i.indisprimary
      ORDER BY k.position`,
    [relation.oid],
  );
  const keys = primaryKey.rows.map((r) => r.name);
  const [order, orderBy] =
    keys.length > 0
      ? [
          `primary key (${keys.join(", ")}) descending`,
          `ORDER BY ${keys.map((k) => `t.${q(k)} DESC`).join(", ")}`,
        ]
      : relation.kind === "v"
        ? ["as the view returns them", ""]
        : ["physical order (ctid) descending", "ORDER BY t.ctid DESC"];
  const columns = await client.query<{ name: string }>(
    "SELECT attname AS name FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    [relation.oid],
  );
  const { rows } = await client.query<{ row: string }>(
    `SELECT row_to_json(t)::text AS row FROM ${q(relation.schema)}.${q(relation.name)} AS t ${orderBy} LIMIT $1`,
    [limit],
  );
  return {
    schema: relation.schema,
    table: relation.name,
    order,
    columns: columns.rows.map((c) => c.name),
    rows: rows.map((r) => JSON.parse(r.row)),
  };
}
