import type { HostQueues } from "../queue/host-queues.js";
import { deploymentHost, requestCancel } from "../store/deployments.js";
import type { Db } from "../store/prisma.js";
import { OperationRefusedError } from "./operation-refused.js";

export type CancelOutcome = {
  deploymentId: string;
  /** `cancelled`: it had not started; `stopping`: its worker kills the running step within a second. */
  outcome: "cancelled" | "stopping";
};

/**
 * Cancels a queued deployment at once, or asks the worker running it to stop (from any
 * machine that reaches the worker's database). The CLI, the dashboard and the API all cancel
 * through this.
 */
export async function cancelDeployment(
  deps: { db: Db; queues: HostQueues },
  request: { deploymentId: string },
): Promise<CancelOutcome> {
  const { deploymentId } = request;
  const result = await requestCancel(deps.db, deploymentId);
  if (result.outcome === "ended") {
    throw result.status
      ? new OperationRefusedError(
          "conflict",
          `deployment ${deploymentId} has already ended (${result.status})`,
        )
      : new OperationRefusedError("not-found", `no deployment ${deploymentId}`);
  }
  // Best effort: a job left behind finds its deployment cancelled and does nothing.
  if (result.outcome === "cancelled") {
    const hostId = await deploymentHost(deps.db, deploymentId);
    if (hostId)
      await deps.queues
        .deploy(hostId)
        .remove(deploymentId)
        .catch(() => 0);
  }
  return { deploymentId, outcome: result.outcome };
}
