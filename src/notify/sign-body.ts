import { createHmac } from "node:crypto";

/** The header carrying the signature, GitHub's form: `sha256=<hex HMAC-SHA256 of the body>`. */
export const SIGNATURE_HEADER = "x-coduck-signature-256";

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
