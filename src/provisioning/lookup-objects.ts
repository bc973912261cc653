import type pg from "pg";

/** The cluster role PgBouncer logs in as (auth_user) to run its auth_query. */
export const AUTH_ROLE = "pgbouncer_auth";

export type LookupState = {
  schema: boolean;
  function: boolean;
  functionSafe: boolean;
  execute: boolean;
  usage: boolean;
};

/** The lookup's state, and the database's size, read in the same round trip. */
export type Inspection = LookupState & { sizeBytes: number };

/**
 * Reads, in one query on a connection to the project database, whether PgBouncer's lookup
 * objects are intact: the schema, the function (SECURITY DEFINER, search_path pinned, owned by
 * us, not executable by PUBLIC), EXECUTE and USAGE for pgbouncer_auth.
 */
export async function inspectLookup(client: pg.ClientBase, schema: string): Promise<Inspection> {
  const { rows } = await client.query(
    `SELECT n.oid IS NOT NULL AS schema,
            p.oid IS NOT NULL AS function,
            coalesce(p.prosecdef AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
              AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
              AND NOT EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                              WHERE a.grantee = 0), false) AS "functionSafe",
            p.oid IS NOT NULL AND has_function_privilege($2, p.oid, 'EXECUTE') AS execute,
            n.oid IS NOT NULL AND has_schema_privilege($2, n.oid, 'USAGE') AS usage,
            pg_database_size(current_database())::text AS "sizeBytes"
       FROM (SELECT 1) one
       LEFT JOIN pg_namespace n ON n.nspname = $1
       LEFT JOIN pg_proc p ON p.pronamespace = n.oid AND p.proname = 'user_lookup'
                          AND p.proargtypes = '25'::oidvector`,
    [schema, AUTH_ROLE],
  );
  const { sizeBytes, ...state } = rows[0];
  return { ...(state as LookupState), sizeBytes: Number(sizeBytes) };
}

export function lookupIntact(state: LookupState): boolean {
  return state.schema && state.function && state.functionSafe && state.execute && state.usage;
}

/**
 * Creates whatever of the lookup objects is missing or altered, and says what it repaired.
 * The function answers only for the project's own role, and never for a superuser.
 */
export async function repairLookup(
  client: pg.Client,
  schema: string,
  role: string,
): Promise<string[]> {
  const before = await inspectLookup(client, schema);
  if (lookupIntact(before)) return [];
  const s = client.escapeIdentifier(schema);
  const fn = `${s}.user_lookup(text)`;
  await client.query("BEGIN");
  try {
    if (!before.schema) {
      // Recreated as Postgres creates `public`: owned by whoever owns the database.
      const owner = schema === "public" ? "pg_database_owner" : "CURRENT_USER";
      await client.query(`CREATE SCHEMA ${s} AUTHORIZATION ${owner}`);
    }
    if (before.function && !before.functionSafe) await client.query(`DROP FUNCTION ${fn}`);
    await client.query(
      `CREATE OR REPLACE FUNCTION ${fn.replace("(text)", "(i_username text)")}
         RETURNS TABLE (usename name, passwd text)
         LANGUAGE sql STABLE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $lookup$
         SELECT s.usename, s.passwd FROM pg_catalog.pg_shadow s
          WHERE s.usename = i_username AND s.usename = ${client.escapeLiteral(role)} AND NOT s.usesuper
       $lookup$`,
    );
    await client.query(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
    await client.query(`GRANT EXECUTE ON FUNCTION ${fn} TO ${AUTH_ROLE}`);
    await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${AUTH_ROLE}`);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
  const repaired: string[] = [];
  if (!before.schema) repaired.push(`schema ${schema}`);
  if (!before.function) repaired.push(`function ${schema}.user_lookup()`);
  else if (!before.functionSafe)
    repaired.push(`function ${schema}.user_lookup() (altered; recreated)`);
  if (!before.execute) repaired.push(`EXECUTE on ${schema}.user_lookup() for ${AUTH_ROLE}`);
  if (!before.usage) repaired.push(`USAGE on schema ${schema} for ${AUTH_ROLE}`);
  return repaired;
}
