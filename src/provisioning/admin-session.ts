import pg from "pg";

/**
 * Every session the worker opens as the admin (ADMIN_DATABASE_URL's superuser), on the admin
 * database or inside a project's, is opened here, so that none can forget this: the session's
 * search_path is pinned to `pg_catalog, pg_temp` by a startup option. A startup option outranks
 * what a tenant can set (ALTER DATABASE … SET search_path as its database's owner, ALTER ROLE …
 * SET), so no name the worker's SQL resolves can reach an operator or function a tenant planted
 * in `public` (the CVE-2018-1058 class). The SQL sent on these sessions also names its operators
 * and functions with `pg_catalog.`, so neither layer is relied on alone.
 */
export const PINNED_SEARCH_PATH = "pg_catalog, pg_temp";

/**
 * search_path, and `role`: a database's owner may also `ALTER DATABASE … SET role = <itself>`,
 * which would run the admin's session as the tenant (whatever it created, the lookup function
 * included, would be the tenant's).
 */
const PIN = "-c search_path=pg_catalog,pg_temp -c role=none";

/**
 * The admin's URL on `database` (the admin URL's own database when omitted), with the pinned
 * search_path added to its startup options: after any the operator gave, so that it wins.
 */
export function adminUrl(serverUrl: string, database?: string): string {
  const url = new URL(serverUrl);
  if (database !== undefined) url.pathname = `/${database}`;
  const given = url.searchParams.get("options");
  url.searchParams.set("options", given ? `${given} ${PIN}` : PIN);
  return url.toString();
}

/** Runs `work` on a fresh admin session on `database` (the admin URL's own when omitted), closed afterwards. */
export async function withAdminSession<T>(
  serverUrl: string,
  database: string | undefined,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(serverUrl, database) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
