import { open } from "../secrets/secret-box.js";
import { type ProjectUrls, projectUrls } from "./connection-urls.js";
import type { ProvisionDeps } from "./provision-project.js";

/** How to reach a project's database as its own role: directly, or through PgBouncer. */
export type ProjectCredentials = ProjectUrls & {
  projectId: string;
  slug: string;
  database: string;
  role: string;
  password: string;
  direct: Endpoint;
  pooled: Endpoint;
};

type Endpoint = { host: string; port: number; database: string; user: string; password: string };

/** The credentials of a provisioned project; null when its database was never provisioned. */
export async function projectCredentials(
  deps: ProvisionDeps,
  slug: string,
): Promise<ProjectCredentials | null> {
  const record = await deps.db.projectDatabase.findFirst({
    where: { project: { slug }, provisionedAt: { not: null } },
    include: { project: { select: { id: true, slug: true } } },
  });
  if (!record) return null;
  const password = open(deps.keyring, {
    ciphertext: record.passwordEncrypted,
    keyVersion: record.keyVersion,
  });
  const endpoint = (host: string, port: number): Endpoint => ({
    host,
    port,
    database: record.databaseName,
    user: record.roleName,
    password,
  });
  return {
    projectId: record.project.id,
    slug: record.project.slug,
    database: record.databaseName,
    role: record.roleName,
    password,
    direct: endpoint(deps.config.direct.host, deps.config.direct.port),
    pooled: endpoint(deps.config.pgbouncer.host, deps.config.pgbouncer.port),
    ...projectUrls(deps.config, record.databaseName, password),
  };
}
