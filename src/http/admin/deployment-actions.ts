import { OperationRefusedError } from "../../deploys/operation-refused.js";
import type { DeploymentRecord } from "../../store/deployment-record.js";
import { isActiveStatus, isRetryableStatus } from "../../store/deployment-statuses.js";

/** Which buttons a deployment's page shows: Cancel while it may still run, Retry once it failed or was cancelled. */
export function availableActions(d: DeploymentRecord): { retry: boolean; cancel: boolean } {
  return {
    retry: isRetryableStatus(d.status),
    cancel: isActiveStatus(d.status),
  };
}

const REFUSAL_STATUS = { "not-found": 404, invalid: 400, conflict: 409 } as const;

/** The HTTP status of a refused retry or cancel, or null for any other error (a 500). */
export function refusalStatus(error: unknown): 400 | 404 | 409 | null {
  return error instanceof OperationRefusedError ? REFUSAL_STATUS[error.reason] : null;
}

/** What the page says after an action; the redirect names one of these, never free text. */
export const ACTION_NOTICES = {
  cancelled: "Cancelled before it started.",
  stopping: "Stopping: its running step is being killed.",
  retried: "Queued as a retry.",
} as const;

export type ActionNotice = keyof typeof ACTION_NOTICES;
