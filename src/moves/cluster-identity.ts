import type { Config } from "../config.js";
import { withAdminSession } from "../provisioning/admin-session.js";

/**
 * The system identifier of the Postgres cluster this host administers (ADMIN_DATABASE_URL):
 * unique per initdb, so two hosts that report the same one share a cluster, where a move would
 * restore a database over itself and its cleanup drop the live one. Null when the admin role
 * may not read it.
 */
export async function clusterIdentity(
  config: Pick<Config, "adminDatabaseUrl">,
): Promise<string | null> {
  return withAdminSession(config.adminDatabaseUrl, undefined, async (admin) => {
    try {
      const { rows } = await admin.query(
        "SELECT system_identifier::pg_catalog.text AS id FROM pg_catalog.pg_control_system()",
      );
      return String(rows[0].id);
    } catch {
      // An admin role without the right to read it (not a superuser, not in pg_monitor): unknown.
      return null;
    }
  });
}
