import { adminUrl } from "../../provisioning/admin-session.js";
import { type Check, fail, ok } from "../check.js";

/**
 * Provisioning runs as ADMIN_DATABASE_URL's role: it creates databases and roles, and the
 * PgBouncer lookup function it installs reads pg_shadow, which only a superuser can.
 */
export const adminPrivileges: Check = {
  name: "admin-role",
  async run(ctx) {
    try {
      const role = await ctx.withPostgres(adminUrl(ctx.config.adminDatabaseUrl), async (client) => {
        const { rows } = await client.query(
          "SELECT rolname, rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) CURRENT_USER",
        );
        return rows[0] as { rolname: string; rolsuper: boolean };
      });
      if (!role.rolsuper) {
        return fail(
          `the admin role ${role.rolname} is not a superuser: the PgBouncer lookup reads pg_shadow`,
          "set ADMIN_DATABASE_URL to a superuser of the project cluster (ALTER ROLE … SUPERUSER)",
        );
      }
      return ok(`admin role ${role.rolname} is a superuser`);
    } catch (error) {
      return fail(
        `the project cluster cannot be reached as the admin (ADMIN_DATABASE_URL): ${(error as Error).message}`,
        "start Postgres, or set ADMIN_DATABASE_URL to a superuser connection of the project cluster",
      );
    }
  },
};
