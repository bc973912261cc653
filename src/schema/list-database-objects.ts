import pg from "pg";

/** Schema-qualified names (`schema.name`), as Prisma's `tables.external` expects them. */
export type DatabaseObjects = { tables: string[]; enums: string[] };

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

/** The tables (plain and partitioned) and enum types in the database's own schemas. */
export async function listDatabaseObjects(url: string): Promise<DatabaseObjects> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      `SELECT n.nspname || '.' || c.relname AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMAS}
        ORDER BY 1`,
    );
    const enums = await client.query<{ name: string }>(
      `SELECT n.nspname || '.' || t.typname AS name
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype = 'e' AND ${USER_SCHEMAS}
        ORDER BY 1`,
    );
    return { tables: tables.rows.map((r) => r.name), enums: enums.rows.map((r) => r.name) };
  } finally {
    await client.end();
  }
}
