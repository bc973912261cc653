import { createHmac, timingSafeEqual } from "node:crypto";

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/** The digest an X-Hub-Signature-256 header (`sha256=<hex>`) carries; null when missing or malformed. */
export function signatureDigest(header: string | undefined): Buffer | null {
  const match = header ? SIGNATURE.exec(header.trim().toLowerCase()) : null;
  return match ? Buffer.from(match[1]!, "hex") : null;
}

/** Whether `digest` is the HMAC-SHA256 of the raw body under `secret`, compared in constant time. */
export function isSignedWith(secret: string, body: Buffer, digest: Buffer): boolean {
  const expected = createHmac("sha256", secret).update(body).digest();
  return digest.length === expected.length && timingSafeEqual(digest, expected);
}

/**
 * Whether `header` (X-Hub-Signature-256: `sha256=<hex>`) is the HMAC-SHA256 of the raw body
 * under the webhook secret. Compared in constant time; a missing or malformed header is false.
 */
export function isValidGithubSignature(
  secret: string,
  body: Buffer,
  header: string | undefined,
): boolean {
  const digest = signatureDigest(header);
  return digest !== null && isSignedWith(secret, body, digest);
}

/** The header value GitHub would send for this body (for tests and tools). */
export function githubSignature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
