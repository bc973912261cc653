import { z } from "zod";
import type { Config } from "../config.js";
import { projectSlug } from "../deploys/deploy-request.js";
import { publicDeployment } from "../deploys/public-deployment.js";
import { UsageError } from "../errors.js";
import { getDeploymentRecord, listDeploymentRecords } from "../store/deployment-record.js";
import { DEPLOYMENT_STATUSES } from "../store/deployment-statuses.js";
import { connectDb } from "../store/prisma.js";
import { deploymentId } from "./deployment-id.js";
import { formatDeployment, formatDeploymentRow } from "./print-deployment.js";

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

/** `coduck-worker deployments list`: the newest deployments first. */
export async function listDeployments(config: Config, raw: unknown, out: NodeJS.WritableStream) {
  const parsed = listOptions.safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join("\n"));
  const options = parsed.data;
  const db = connectDb(config.databaseUrl);
  try {
    const records = await listDeploymentRecords(db, options);
    if (options.json) out.write(`${JSON.stringify(records.map(publicDeployment), null, 2)}\n`);
    else if (records.length === 0) out.write("no deployments\n");
    else out.write(`${records.map(formatDeploymentRow).join("\n")}\n`);
  } finally {
    await db.$disconnect();
  }
}

/** `coduck-worker deployments show <id>`. Returns the exit code. */
export async function showDeployment(
  config: Config,
  id: string,
  options: { json?: boolean },
  out: NodeJS.WritableStream,
): Promise<number> {
  deploymentId(id);
  const db = connectDb(config.databaseUrl);
  try {
    const record = await getDeploymentRecord(db, id);
    if (!record) throw new UsageError(`no deployment ${id}`);
    out.write(
      options.json
        ? `${JSON.stringify(publicDeployment(record), null, 2)}\n`
        : `${formatDeployment(record)}\n`,
    );
    return 0;
  } finally {
    await db.$disconnect();
  }
}
