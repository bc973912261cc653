import { type Job, UnrecoverableError } from "bullmq";
import { deliverNotification } from "../notify/deliver-notification.js";
import { notifyJobPayload } from "../queue/notify-job.js";
import type { Keyring } from "../secrets/keyring.js";
import { open } from "../secrets/secret-box.js";
import type { Db } from "../store/prisma.js";

/**
 * The `notify` job: signs its body with the project's secret and POSTs it to the project's URL
 * as they are now (a URL changed meanwhile gets the retry); a project that no longer has one
 * is skipped. A failed POST throws, and BullMQ retries it with backoff.
 */
export type NotifyDeps = { db: Db; keyring: Keyring };

export async function processNotify(deps: NotifyDeps, job: Job): Promise<string> {
  const payload = notifyJobPayload.safeParse(job.data);
  if (!payload.success)
    throw new UnrecoverableError(`invalid notify job payload: ${payload.error.message}`);
  const target = await deps.db.notificationTarget.findUnique({
    where: { projectId: payload.data.projectId },
  });
  if (!target) return "skipped: the project no longer has a notification URL";
  const secret = open(deps.keyring, {
    ciphertext: target.secretEncrypted,
    keyVersion: target.keyVersion,
  });
  const status = await deliverNotification({ url: target.url, secret }, payload.data);
  return `delivered: ${status}`;
}
