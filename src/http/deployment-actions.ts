import type { DeploymentRecord } from "../store/deployment-record.js";

/** Which buttons a deployment's page shows: Cancel while it may still run. */
export function availableActions(d: DeploymentRecord): { retry: boolean; cancel: boolean } {
  return {
    retry: false,
    cancel: d.status === "queued" || d.status === "running",
  };
}
