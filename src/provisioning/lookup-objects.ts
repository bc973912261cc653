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
  // Runs as the admin inside the tenant's database: every operator, function, relation and type
  // is named with its schema, pg_catalog (admin-session.ts says why).
  const { rows } = await client.query(
    `SELECT n.oid IS NOT NULL AS schema,
            p.oid IS NOT NULL AS function,
            COALESCE(p.prosecdef AND p.proowner OPERATOR(pg_catalog.=)
                (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
              AND p.proconfig OPERATOR(pg_catalog.@>) ARRAY['search_path=pg_catalog, pg_temp']::pg_catalog.text[]
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
                              WHERE a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid), false) AS "functionSafe",
            p.oid IS NOT NULL AND pg_catalog.has_function_privilege($2::pg_catalog.name, p.oid, 'EXECUTE') AS execute,
            n.oid IS NOT NULL AND pg_catalog.has_schema_privilege($2::pg_catalog.name, n.oid, 'USAGE') AS usage,
            pg_catalog.pg_database_size(pg_catalog.current_database())::pg_catalog.text AS "sizeBytes"
       FROM (SELECT 1) one
       LEFT JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) $1::pg_catalog.name
       LEFT JOIN pg_catalog.pg_proc p ON p.pronamespace OPERATOR(pg_catalog.=) n.oid
                          AND p.proname OPERATOR(pg_catalog.=) 'user_lookup'::pg_catalog.name
                          AND p.proargtypes OPERATOR(pg_catalog.=) '25'::pg_catalog.oidvector`,
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
  const fn = `${s}.user_lookup(pg_catalog.text)`;
  await client.query("BEGIN");
  try {
    if (!before.schema) {
      // Recreated as Postgres creates `public`: owned by whoever owns the database.
      const owner = schema === "public" ? "pg_database_owner" : "CURRENT_USER";
      await client.query(`CREATE SCHEMA ${s} AUTHORIZATION ${owner}`);
    }
    if (before.function && !before.functionSafe) await client.query(`DROP FUNCTION ${fn}`);
    // Owned by the admin, SECURITY DEFINER: its own search_path is pinned and every name in it
    // is pg_catalog's, so that the tenant, who owns the schema it lives in, can drop it (the
    // next provisioning recreates it) but never steer what it runs.
    await client.query(
      `CREATE OR REPLACE FUNCTION ${s}.user_lookup(i_username pg_catalog.text)
         RETURNS TABLE (usename pg_catalog.name, passwd pg_catalog.text)
         LANGUAGE sql STABLE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $lookup$
         SELECT s.usename, s.passwd FROM pg_catalog.pg_shadow s
          WHERE s.usename OPERATOR(pg_catalog.=) i_username
            AND s.usename OPERATOR(pg_catalog.=) ${client.escapeLiteral(role)} AND NOT s.usesuper
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
