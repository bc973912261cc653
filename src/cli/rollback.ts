import type { Config } from "../config.js";
import { rollbackDeployment } from "../deploys/rollback-deployment.js";
import { osUser } from "./os-user.js";
import { reportQueued } from "./report-queued.js";
import { withQueue } from "./with-queue.js";

/**
 * `coduck-worker rollback --project P [--to <id>]`. Returns the exit code: with --wait, 0
 * only when the earlier release is live again.
 */
export async function rollbackCommand(
  config: Config,
  options: { project: string; to?: string; wait?: boolean; json?: boolean },
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
): Promise<number> {
  return withQueue(config, async (db, queues, redis) => {
    const result = await rollbackDeployment(
      { db, queues, config },
      { project: options.project, to: options.to, requestedBy: osUser() },
    );
    const progress = options.json ? io.err : io.out;
    const how = result.fromKeptRelease
      ? "from its kept release directory"
      : `by deploying its commit again (${result.notReused})`;
    progress.write(
      `queued deployment ${result.deploymentId}: rollback of ${options.project} to deployment ${result.rollbackTo} (${result.commitSha.slice(0, 12)}), ${how}\n`,
    );
    progress.write(`warning: ${result.warning}\n`);
    return await reportQueued(
      { db, queues, redis, hostDownAfterMs: config.host.downAfterMs },
      result,
      options,
      { out: io.out, progress },
    );
  });
}
