import type { Config } from "../config.js";
import { cancelDeployment } from "../deploys/cancel-deployment.js";
import { deploymentId } from "./deployment-id.js";
import { withQueue } from "./with-queue.js";

/** `coduck-worker cancel <id>`: works from any machine that reaches the worker's database. */
export async function cancelCommand(
  config: Config,
  id: string,
  out: NodeJS.WritableStream,
): Promise<void> {
  deploymentId(id);
  await withQueue(config, async (db, queues) => {
    const { outcome } = await cancelDeployment({ db, queues }, { deploymentId: id });
    out.write(
      outcome === "cancelled"
        ? `cancelled deployment ${id} before it started\n`
        : `deployment ${id} is stopping: its running step is being killed\n`,
    );
  });
}
