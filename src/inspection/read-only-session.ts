import pg from "pg";
import { UsageError } from "../errors.js";
import { projectCredentials } from "../provisioning/project-credentials.js";
import type { ProvisionDeps } from "../provisioning/provision-project.js";

const STATEMENT_TIMEOUT_MS = 15_000;

/**
 * Runs inspection queries on a project's database as the project's own role (never the admin:
 * it sees only what the app sees) inside a READ ONLY transaction that is always rolled back, so
 * no statement, not even a function a view calls, can write.
 */
export async function withReadOnlySession<T>(
  deps: ProvisionDeps,
  slug: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const project = await projectCredentials(deps, slug);
  if (!project)
    throw new UsageError(
      `project ${slug} has no database yet: it is created on its first deploy (or run provision)`,
    );
  const client = new pg.Client({ ...project.direct, application_name: "coduck-inspection" });
  await client.connect();
  try {
    await client.query("BEGIN TRANSACTION READ ONLY");
    await client.query(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
    return await work(client);
  } finally {
    await client.query("ROLLBACK").catch(() => {});
    await client.end();
  }
}

/** Schemas that are Postgres' own, never the project's. */
export const SYSTEM_SCHEMAS =
  "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";
