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
  /** When supervisord gave up restarting its live release (a crash loop); absent: never. */
  releaseCrashedAt?: Date | null;
};

/** What a notification reports: a deployment's status, or its live release `crashed`. */
export type NotifiedStatus = DeploymentStatus | "crashed";

export type StatusEvent = {
  status: NotifiedStatus;
  /** The attempt a `running` event starts; 0 for the others. */
  attempt: number;
  at: Date;
  /** Unique per event: BullMQ's job id, so that the same event is queued once however often it is seen. */
  deliveryId: string;
};

/**
 * The status changes a deployment row shows, oldest first: `queued` at queuedAt, `running` at
 * startedAt (the latest attempt's), its end at finishedAt, and `crashed` at releaseCrashedAt
 * (its live release crashed for good; once, as the release is never started again). A retried
 * attempt's earlier `running` shows only if it was seen while it was the latest.
 */
export function statusEvents(d: DeploymentTimes): StatusEvent[] {
  const event = (status: NotifiedStatus, attempt: number, at: Date): StatusEvent => ({
    status,
    attempt,
    at,
    deliveryId: `${d.id}.${status}${status === "running" ? `.${attempt}` : ""}`,
  });
  const events = [event("queued", 0, d.queuedAt)];
  if (d.startedAt && d.attempt > 0) events.push(event("running", d.attempt, d.startedAt));
  if (isEndedStatus(d.status) && d.finishedAt) events.push(event(d.status, 0, d.finishedAt));
  if (d.releaseCrashedAt) events.push(event("crashed", 0, d.releaseCrashedAt));
  return events;
}
