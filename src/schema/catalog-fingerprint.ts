import { createHash } from "node:crypto";
import pg from "pg";

/**
 * Names every object of the database's own schemas that `prisma db push` creates, changes or
 * keeps as external, one JSON array a row: schemas, relations, columns (type, nullability,
 * default, identity, generated, collation), indexes, constraints, enums with their labels in
 * order, domains and other types, and the installed extensions. Statistics, sizes and OIDs are
 * left out: they change without the schema changing.
 *
 * It runs in a tenant's database, where the tenant owns every schema but pg_catalog: every
 * relation, function, operator and type is written `pg_catalog.` in full (a `public.=` or a
 * `public.pg_class` is never resolved), and the connection also starts with search_path
 * `pg_catalog,pg_temp` as a client option (which outranks the role's and the database's
 * settings), so that what the deparsing functions print does not depend on the tenant's either.
 * Schema names starting `pg_` are reserved to the system, so `starts_with` leaves out exactly
 * pg_catalog, pg_toast and the temporary schemas.
 */
const CATALOG_QUERY = `
WITH ns AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace AS n
   WHERE NOT pg_catalog.starts_with(n.nspname::pg_catalog.text, 'pg_')
     AND n.nspname OPERATOR(pg_catalog.<>) 'information_schema'::pg_catalog.name
)
SELECT pg_catalog.json_build_array('schema', ns.nspname)::pg_catalog.text AS line FROM ns
UNION ALL
SELECT pg_catalog.json_build_array('relation', ns.nspname, c.relname, c.relkind, c.relpersistence,
         c.reloptions)::pg_catalog.text
  FROM pg_catalog.pg_class AS c JOIN ns ON ns.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,v,m,f,S,c}'::pg_catalog."char"[])
UNION ALL
SELECT pg_catalog.json_build_array('column', ns.nspname, c.relname, a.attname,
         pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
         a.attgenerated, pg_catalog.pg_get_expr(d.adbin, d.adrelid), cn.nspname, co.collname)::pg_catalog.text
  FROM pg_catalog.pg_attribute AS a
  JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) a.attrelid
  JOIN ns ON ns.oid OPERATOR(pg_catalog.=) c.relnamespace
  LEFT JOIN pg_catalog.pg_attrdef AS d
    ON d.adrelid OPERATOR(pg_catalog.=) a.attrelid AND d.adnum OPERATOR(pg_catalog.=) a.attnum
  LEFT JOIN pg_catalog.pg_collation AS co ON co.oid OPERATOR(pg_catalog.=) a.attcollation
  LEFT JOIN pg_catalog.pg_namespace AS cn ON cn.oid OPERATOR(pg_catalog.=) co.collnamespace
 WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,v,m,f,c}'::pg_catalog."char"[])
   AND a.attnum OPERATOR(pg_catalog.>) 0::pg_catalog.int2 AND NOT a.attisdropped
UNION ALL
SELECT pg_catalog.json_build_array('index', ns.nspname, ic.relname,
         pg_catalog.pg_get_indexdef(i.indexrelid))::pg_catalog.text
  FROM pg_catalog.pg_index AS i
  JOIN pg_catalog.pg_class AS ic ON ic.oid OPERATOR(pg_catalog.=) i.indexrelid
  JOIN ns ON ns.oid OPERATOR(pg_catalog.=) ic.relnamespace
UNION ALL
SELECT pg_catalog.json_build_array('constraint', ns.nspname, k.conname, k.contype,
         k.conrelid::pg_catalog.regclass::pg_catalog.text, k.contypid::pg_catalog.regtype::pg_catalog.text,
         pg_catalog.pg_get_constraintdef(k.oid))::pg_catalog.text
  FROM pg_catalog.pg_constraint AS k JOIN ns ON ns.oid OPERATOR(pg_catalog.=) k.connamespace
UNION ALL
SELECT pg_catalog.json_build_array('type', ns.nspname, t.typname, t.typtype,
         pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
         (SELECT pg_catalog.array_agg(e.enumlabel ORDER BY e.enumsortorder)
            FROM pg_catalog.pg_enum AS e WHERE e.enumtypid OPERATOR(pg_catalog.=) t.oid))::pg_catalog.text
  FROM pg_catalog.pg_type AS t JOIN ns ON ns.oid OPERATOR(pg_catalog.=) t.typnamespace
 WHERE t.typtype OPERATOR(pg_catalog.=) ANY ('{d,e,r,m}'::pg_catalog."char"[])
UNION ALL
SELECT pg_catalog.json_build_array('extension', x.extname, x.extversion, n.nspname)::pg_catalog.text
  FROM pg_catalog.pg_extension AS x
  JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) x.extnamespace`;

/**
 * CATALOG_QUERY hashed where it runs: each line's SHA-256, then one over those sorted (by byte,
 * collation "C"), so one row of 64 characters comes back. The catalog's text is the tenant's
 * to size: a column or domain default deparses to as many megabytes as its app wrote (stored
 * compressed, a few kilobytes of catalog), and every line brought into the worker's heap to be
 * sorted there could take the worker, and every deploy on its host, down.
 */
const FINGERPRINT_QUERY = `
SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
         pg_catalog.string_agg(lines.digest, ',' ORDER BY lines.digest COLLATE pg_catalog."C"),
         'UTF8'::pg_catalog.name)), 'hex'::pg_catalog.text) AS hash
  FROM (SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(catalog.line,
                 'UTF8'::pg_catalog.name)), 'hex'::pg_catalog.text) AS digest
          FROM (${CATALOG_QUERY}) AS catalog(line)) AS lines`;

// Client options outrank what the tenant's role or database sets (ALTER ROLE … SET search_path).
const SESSION_OPTIONS = [
  "-c search_path=pg_catalog,pg_temp",
  "-c quote_all_identifiers=off",
  "-c statement_timeout=15000",
].join(" ");

/**
 * A SHA-256 over the catalog of the project's database as the schema push sees it (see
 * CATALOG_QUERY), computed by Postgres in one query over `directUrl` (FINGERPRINT_QUERY: only
 * the hash comes back): the project's own role, never a
 * superuser's session, so nothing a tenant created can run with more rights than its own.
 */
export async function catalogFingerprint(directUrl: string): Promise<string> {
  const client = new pg.Client({
    connectionString: directUrl,
    connectionTimeoutMillis: 10_000,
    options: SESSION_OPTIONS,
    application_name: "coduck-schema-fingerprint",
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ hash: string | null }>(FINGERPRINT_QUERY);
    // An empty catalog aggregates to null: the hash of no lines.
    return rows[0]?.hash ?? createHash("sha256").digest("hex");
  } finally {
    await client.end();
  }
}
