import type { DeploymentStatus } from "@prisma/client";
import { isEndedStatus } from "../store/deployment-statuses.js";

/** What a deployment row says of its history: enough to tell every status it went through. */
export type DeploymentTimes = {
  id: string;
  status: DeploymentStatus;
  attempt: number;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
};

export type StatusEvent = {
  status: DeploymentStatus;
  /** The attempt a `running` event starts; 0 for the others. */
  attempt: number;
  at: Date;
  /** Unique per event: BullMQ's job id, so that the same event is queued once however often it is seen. */
  deliveryId: string;
};

/**
 * The status changes a deployment row shows, oldest first: `queued` at queuedAt, `running` at
 * startedAt (the latest attempt's), and its end at finishedAt. A retried attempt's earlier
 * `running` shows only if it was seen while it was the latest.
 */
export function statusEvents(d: DeploymentTimes): StatusEvent[] {
  const event = (status: DeploymentStatus, attempt: number, at: Date): StatusEvent => ({
    status,
    attempt,
    at,
    deliveryId: `${d.id}.${status}${status === "running" ? `.${attempt}` : ""}`,
  });
  const events = [event("queued", 0, d.queuedAt)];
  if (d.startedAt && d.attempt > 0) events.push(event("running", d.attempt, d.startedAt));
  if (isEndedStatus(d.status) && d.finishedAt) events.push(event(d.status, 0, d.finishedAt));
  return events;
}
