import { createHmac, timingSafeEqual } from "node:crypto";

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/**
 * Whether `header` (X-Hub-Signature-256: `sha256=<hex>`) is the HMAC-SHA256 of the raw body
 * under the webhook secret. Compared in constant time; a missing or malformed header is false.
 */
export function isValidGithubSignature(
  secret: string,
  body: Buffer,
  header: string | undefined,
): boolean {
  const match = header ? SIGNATURE.exec(header.trim().toLowerCase()) : null;
  if (!match) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return timingSafeEqual(Buffer.from(match[1]!, "hex"), expected);
}

/** The header value GitHub would send for this body (for tests and tools). */
export function githubSignature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
