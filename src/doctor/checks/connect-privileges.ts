import { adminUrl } from "../../provisioning/admin-session.js";
import { databasesOpenToPublic } from "../../provisioning/close-other-databases.js";
import { type Check, fail, ok, warn } from "../check.js";

/**
 * A project's role reaches only its own database: no database of the project cluster grants
 * CONNECT to PUBLIC (provisioning revokes it, close-other-databases.ts). One still open among
 * the databases provisioning closes (postgres, template1, the admin's, the worker's own, a
 * project's) fails once a project exists; any other database still open (made since the last
 * provisioning) warns, by name.
 */
export const connectPrivileges: Check = {
  name: "connect",
  async run(ctx) {
    const { config } = ctx;
    let found: { open: string[]; projects: number };
    try {
      found = await ctx.withPostgres(adminUrl(config.adminDatabaseUrl), async (client) => {
        const projects = await client.query(
          "SELECT 1 FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.~~) $1",
          [`${config.projectDatabasePrefix}\\_%`],
        );
        return { open: await databasesOpenToPublic(client), projects: projects.rowCount ?? 0 };
      });
    } catch (error) {
      return fail(
        `the project cluster's CONNECT privileges cannot be read as the admin: ${(error as Error).message}`,
        "see admin-role",
      );
    }
    if (found.open.length === 0)
      return ok(
        "no database of the project cluster lets every role connect (PUBLIC has no CONNECT)",
      );
    const closedByProvisioning = new Set([
      "postgres",
      "template1",
      databaseOf(config.adminDatabaseUrl),
      databaseOf(config.databaseUrl),
    ]);
    const ours = found.open.filter(
      (name) =>
        closedByProvisioning.has(name) || name.startsWith(`${config.projectDatabasePrefix}_`),
    );
    const list = (names: string[]) =>
      names.length > 5
        ? `${names.slice(0, 5).join(", ")} and ${names.length - 5} more`
        : names.join(", ");
    const fix = `run \`coduck-worker db repair --project <any project>\` (provisioning revokes it), or as the admin: REVOKE CONNECT ON DATABASE <name> FROM PUBLIC, then GRANT CONNECT to the roles that use it`;
    if (ours.length > 0 && found.projects > 0)
      return fail(
        `every role, every project's included, may connect to ${list(ours)} (CONNECT is PUBLIC's)`,
        fix,
      );
    return warn(
      `every role may connect to ${list(found.open)} (CONNECT is PUBLIC's): a project's role would reach ${found.open.length === 1 ? "it" : "them"}${found.projects === 0 ? "; no project is provisioned yet, and the first provisioning revokes it" : ""}`,
      fix,
    );
  },
};

function databaseOf(url: string): string {
  const parsed = new URL(url);
  return decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username);
}
