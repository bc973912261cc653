import type { Config } from "../config.js";
import { parseDeployRequest } from "../deploys/deploy-request.js";
import { publicDeployment } from "../deploys/public-deployment.js";
import { queueDeployment } from "../deploys/queue-deployment.js";
import { UsageError } from "../errors.js";
import type { HostQueues } from "../queue/host-queues.js";
import { readDeploymentRecord } from "../store/deployment-record.js";
import { placementFor } from "../store/hosts.js";
import type { SqlDb } from "../store/sql-transaction.js";
import { followDeployment } from "./follow-deployment.js";
import { osUser } from "./os-user.js";
import { formatDeployment } from "./print-deployment.js";
import { withQueueOnPool } from "./with-queue.js";

export type DeployOptions = {
  project: string;
  repo: string;
  ref: string;
  wait?: boolean;
  json?: boolean;
};

/**
 * `coduck-worker deploy`: records a deployment and queues it, as the webhook does.
 * Returns the exit code: with --wait, 0 only when the deploy succeeded.
 */
export async function deploy(
  config: Config,
  options: DeployOptions,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
): Promise<number> {
  const request = parseDeployRequest({
    project: options.project,
    repoUrl: options.repo,
    ref: options.ref,
  });
  if (!request.success) {
    throw new UsageError(
      request.error.issues
        .map(
          (issue) =>
            `${{ project: "--project", repoUrl: "--repo", ref: "--ref" }[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`,
        )
        .join("\n"),
    );
  }

  const progress = options.json ? io.err : io.out;
  const queued = async (db: SqlDb, queues: HostQueues) => {
    const placement = placementFor(config.host);
    const id = await queueDeployment({ db, queues, placement }, request.data, "cli", osUser());
    progress.write(`queued deployment ${id} of ${request.data.project} (${request.data.ref})\n`);
    return id;
  };
  // Recorded, queued and followed on a bare pg pool, without loading Prisma (bench items 1, 11).
  return withQueueOnPool(config, async (db, queues, redis) => {
    const id = await queued(db, queues);
    if (!options.wait) {
      if (options.json) io.out.write(`${JSON.stringify({ id, status: "queued" })}\n`);
      return 0;
    }
    const record = await followDeployment(
      { db, queues, redis, hostDownAfterMs: config.host.downAfterMs },
      id,
      progress,
    );
    const final = (await readDeploymentRecord(db, id)) ?? record;
    io.out.write(
      options.json
        ? `${JSON.stringify(publicDeployment(final), null, 2)}\n`
        : `${formatDeployment(final)}\n`,
    );
    return final.status === "succeeded" ? 0 : 1;
  });
}
