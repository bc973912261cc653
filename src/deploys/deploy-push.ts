import { DEPLOY_STEP_NAMES } from "../pipeline/step-names.js";
import { placementFor } from "../store/hosts.js";
import {
  type PushDelivery,
  type PushOutcome,
  recordPushDeployment,
} from "../store/webhook-deliveries.js";
import { type PlacingDeps, recordThenQueue } from "./queue-deployment.js";

/**
 * Records the deployment of a verified push (once per delivery and per commit) and queues it.
 * A repeat while the deployment is still queued queues it again: the job id is the deployment
 * id, so that adds a job only if an earlier request recorded the deployment but never got to
 * enqueue it.
 */
export function deployPush(
  deps: PlacingDeps,
  push: Omit<PushDelivery, "steps" | "placement">,
): Promise<PushOutcome> {
  const placement = deps.config && placementFor(deps.config.host);
  return recordThenQueue(
    deps,
    () =>
      recordPushDeployment(deps.db, {
        ...push,
        steps: DEPLOY_STEP_NAMES,
        ...(placement && { placement }),
      }),
    (outcome) => outcome.created || outcome.status === "queued",
  );
}
