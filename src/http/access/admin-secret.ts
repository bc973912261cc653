import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Equal strings, in time that depends on neither's content nor length. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** An HMAC of `what` under ADMIN_TOKEN: what only a holder of the token can make. */
export function mac(token: string, what: string): string {
  return createHmac("sha256", token).update(what).digest("base64url");
}
