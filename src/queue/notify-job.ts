import type { JobsOptions, Queue } from "bullmq";
import { z } from "zod";

export const NOTIFY_QUEUE = "notify";
export const NOTIFY_JOB = "notify";

/** A notification: its project and the exact body to sign and POST (no secret: it stays in Postgres). */
export const notifyJobPayload = z
  .object({ projectId: z.uuid(), deliveryId: z.string().min(1), body: z.string().min(2) })
  .strict();
export type NotifyJobPayload = z.infer<typeof notifyJobPayload>;

const options: JobsOptions = {
  // 2 s, 4 s, … 17 min: a receiver down for half an hour still gets every status.
  attempts: 10,
  backoff: { type: "exponential", delay: 2_000 },
  // Kept longer than the status poller looks back, so a status seen twice is queued once.
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export async function enqueueNotification(queue: Queue, payload: NotifyJobPayload): Promise<void> {
  await queue.add(NOTIFY_JOB, payload, { ...options, jobId: payload.deliveryId });
}
