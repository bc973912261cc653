import { SIGNATURE_HEADER, signBody } from "./sign-body.js";

const TIMEOUT_MS = 10_000;

/**
 * POSTs one signed notification. Resolves on a 2xx answer; otherwise throws, saying what the
 * receiver answered, so that BullMQ retries it. Redirects are not followed: the URL is the one
 * the operator set.
 */
export async function deliverNotification(
  target: { url: string; secret: string },
  delivery: { deliveryId: string; body: string },
): Promise<number> {
  const response = await fetch(target.url, {
    method: "POST",
    redirect: "manual",
    signal: AbortSignal.timeout(TIMEOUT_MS),
    headers: {
      "content-type": "application/json",
      "user-agent": "coduck-worker",
      "x-coduck-event": "deployment.status",
      "x-coduck-delivery": delivery.deliveryId,
      [SIGNATURE_HEADER]: signBody(target.secret, delivery.body),
    },
    body: delivery.body,
  }).catch((error: Error) => {
    throw new Error(`${target.url} could not be reached: ${error.cause ?? error.message}`);
  });
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299)
    throw new Error(`${target.url} answered ${response.status}`);
  return response.status;
}
