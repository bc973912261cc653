import { withAdminSession } from "./admin-session.js";
import type { ProvisionDeps } from "./provision-project.js";

/** Drops a deleted project's database and role, and forgets its stored password. */
export async function dropProjectDatabase(
  deps: ProvisionDeps,
  slug: string,
): Promise<string | null> {
  const record = await deps.db.projectDatabase.findFirst({ where: { project: { slug } } });
  if (!record) return null;
  await withAdminSession(deps.config.adminDatabaseUrl, undefined, async (admin) => {
    const name = admin.escapeIdentifier(record.databaseName);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(record.roleName)}`);
  });
  await deps.db.projectDatabase.delete({ where: { id: record.id } });
  return record.databaseName;
}
