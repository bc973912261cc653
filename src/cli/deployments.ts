import { z } from "zod";
import type { Config } from "../config.js";
import { projectSlug } from "../deploys/deploy-request.js";
import { publicDeployment } from "../deploys/public-deployment.js";
import { UsageError } from "../errors.js";
import { listDeploymentRecords, readDeploymentRecord } from "../store/deployment-record.js";
import { DEPLOYMENT_STATUSES } from "../store/deployment-statuses.js";
import { deploymentId } from "./deployment-id.js";
import { formatDeployment, formatDeploymentRow } from "./print-deployment.js";
import { withPool } from "./with-pool.js";

const listOptions = z.object({
  status: z
    .enum(DEPLOYMENT_STATUSES, {
      error: `--status: expected one of ${DEPLOYMENT_STATUSES.join(", ")}`,
    })
    .optional(),
  project: projectSlug.optional(),
  limit: z.coerce.number().int().min(1).max(1000, "--limit: expected 1 to 1000").default(20),
  json: z.boolean().optional(),
});

/** `coduck-worker deployments list`: the newest deployments first (plain SQL: no Prisma loaded). */
export async function listDeployments(config: Config, raw: unknown, out: NodeJS.WritableStream) {
  const parsed = listOptions.safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join("\n"));
  const options = parsed.data;
  const records = await withPool(config, (pool) => listDeploymentRecords(pool, options));
  if (options.json) out.write(`${JSON.stringify(records.map(publicDeployment), null, 2)}\n`);
  else if (records.length === 0) out.write("no deployments\n");
  else out.write(`${records.map(formatDeploymentRow).join("\n")}\n`);
}

/** `coduck-worker deployments show <id>` (plain SQL: no Prisma loaded). Returns the exit code. */
export async function showDeployment(
  config: Config,
  id: string,
  options: { json?: boolean },
  out: NodeJS.WritableStream,
): Promise<number> {
  deploymentId(id);
  const record = await withPool(config, (pool) => readDeploymentRecord(pool, id));
  if (!record) throw new UsageError(`no deployment ${id}`);
  out.write(
    options.json
      ? `${JSON.stringify(publicDeployment(record), null, 2)}\n`
      : `${formatDeployment(record)}\n`,
  );
  return 0;
}
