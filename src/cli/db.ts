import type { Config } from "../config.js";
import { projectSlug } from "../deploys/deploy-request.js";
import { UsageError } from "../errors.js";
import { maskPassword } from "../provisioning/connection-urls.js";
import { measureDatabase } from "../provisioning/database-info.js";
import { dropProjectDatabase } from "../provisioning/drop-project-database.js";
import { provisionProject } from "../provisioning/provision-project.js";
import { withProvisioning } from "./with-provisioning.js";

type Out = NodeJS.WritableStream;

function slugOf(value: string): string {
  const parsed = projectSlug.safeParse(value);
  if (!parsed.success) throw new UsageError(`--project: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** `coduck-worker provision --project P` and `db repair --project P`: the full, idempotent run. */
export async function provisionCommand(config: Config, project: string, out: Out): Promise<void> {
  const slug = slugOf(project);
  const result = await withProvisioning(config, (deps) => provisionProject(deps, slug));
  out.write(`database ${result.database} of ${slug} is provisioned\n`);
  for (const action of result.actions) out.write(`  ${action}\n`);
  if (result.actions.length === 0) out.write("  nothing to create or repair\n");
  for (const closed of result.closedDatabases)
    out.write(
      `  revoked CONNECT on database ${closed} from PUBLIC (project roles reach only their own)\n`,
    );
}

/** `coduck-worker db info --project P [--show-secrets] [--json]`. Returns the exit code. */
export async function dbInfoCommand(
  config: Config,
  options: { project: string; showSecrets?: boolean; json?: boolean },
  out: Out,
): Promise<number> {
  const slug = slugOf(options.project);
  const found = await withProvisioning(config, (deps) => measureDatabase(deps, slug));
  if (!found)
    throw new UsageError(
      `project ${slug} has no database yet: it is created on its first deploy (or run provision)`,
    );
  const { info, storageWarning } = found;
  const storagePercent = Math.floor((info.sizeBytes * 100) / info.limitBytes);
  const shown = {
    ...info,
    storagePercent,
    storageWarning,
    ...(options.showSecrets
      ? {}
      : { databaseUrl: maskPassword(info.databaseUrl), directUrl: maskPassword(info.directUrl) }),
  };
  if (options.json) {
    out.write(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  }
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const missing = Object.entries(info.lookup)
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
  out.write(
    [
      `database     ${info.database} (role ${info.role})`,
      `size         ${mb(info.sizeBytes)} of ${mb(info.limitBytes)} (${storagePercent} % of the soft limit)`,
      ...(storageWarning ? [`             warning: ${storageWarning}`] : []),
      `connections  ${info.connections} of ${info.connectionLimit} (the role's limit); keep the app's client pool at 10 or less: PgBouncer pools on the server side`,
      `pgbouncer    ${missing.length ? `lookup BROKEN (missing: ${missing.join(", ")}): run db repair` : "lookup intact"}`,
      `DATABASE_URL ${shown.databaseUrl}`,
      `DIRECT_URL   ${shown.directUrl}`,
      "",
    ].join("\n"),
  );
  return 0;
}

/** `coduck-worker db drop --project P --confirm P`: only with the exact slug as confirmation. */
export async function dbDropCommand(
  config: Config,
  options: { project: string; confirm?: string },
  out: Out,
) {
  const slug = slugOf(options.project);
  if (options.confirm !== slug) {
    throw new UsageError(
      `refusing to drop the database of ${slug}: repeat the project slug with --confirm ${slug}`,
    );
  }
  const dropped = await withProvisioning(config, (deps) => dropProjectDatabase(deps, slug));
  if (!dropped) throw new UsageError(`project ${slug} has no database`);
  out.write(`dropped database and role ${dropped} of ${slug}\n`);
}
