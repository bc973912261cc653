import { FAILURE_CODES, type FailureCode } from "../failures/codes.js";
import type { StatusEvent } from "./status-events.js";

/** The deployment fields a notification carries: what a person needs, nothing of the worker's. */
export type NotifiedDeployment = {
  id: string;
  attempt: number;
  trigger: string;
  ref: string;
  commitSha: string | null;
  errorCode: string | null;
  hint: string | null;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Why its live release is degraded (a `crashed` event's cause). */
  degradedCode?: string | null;
};

/**
 * The JSON POSTed for one status change. Built from named fields only (never by spreading a
 * row), so nothing else — the repository URL with a token in it, database URLs, passwords —
 * can slip in. `status` is the event's, which a later state of the deployment does not change;
 * a `crashed` one carries the crash's cause (the degraded code) and its hint.
 */
export function notificationBody(project: string, d: NotifiedDeployment, event: StatusEvent) {
  const ended = event.status !== "queued" && event.status !== "running";
  const crashed = event.status === "crashed";
  return {
    event: "deployment.status",
    deliveryId: event.deliveryId,
    occurredAt: event.at.toISOString(),
    project,
    deployment: {
      id: d.id,
      status: event.status,
      attempt: event.status === "running" ? event.attempt : d.attempt,
      trigger: d.trigger,
      ref: d.ref,
      commitSha: d.commitSha,
      errorCode: crashed ? (d.degradedCode ?? null) : ended ? d.errorCode : null,
      hint: crashed ? hintOf(d.degradedCode ?? null) : ended ? d.hint : null,
      queuedAt: d.queuedAt.toISOString(),
      startedAt: d.startedAt?.toISOString() ?? null,
      finishedAt: ended ? (d.finishedAt?.toISOString() ?? null) : null,
    },
  };
}

function hintOf(code: string | null): string | null {
  if (code === null || !Object.hasOwn(FAILURE_CODES, code)) return null;
  return FAILURE_CODES[code as FailureCode].hint;
}
