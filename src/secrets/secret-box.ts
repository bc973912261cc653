import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Keyring } from "./keyring.js";

export type Sealed = { ciphertext: string; keyVersion: number };

/** AES-256-GCM; the stored text is `iv.tag.ciphertext` in base64, beside its key version. */
export function seal(keyring: Keyring, plaintext: string): Sealed {
  const key = keyring.keys.get(keyring.current)!;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const ciphertext = [iv, cipher.getAuthTag(), body].map((b) => b.toString("base64")).join(".");
  return { ciphertext, keyVersion: keyring.current };
}

export function open(keyring: Keyring, sealed: Sealed): string {
  const key = keyring.keys.get(sealed.keyVersion);
  if (!key) {
    throw new Error(
      `no key of version ${sealed.keyVersion} in SECRETS_KEY to decrypt a stored secret`,
    );
  }
  const [iv, tag, body] = sealed.ciphertext.split(".").map((part) => Buffer.from(part, "base64"));
  const decipher = createDecipheriv("aes-256-gcm", key, iv!);
  decipher.setAuthTag(tag!);
  return Buffer.concat([decipher.update(body!), decipher.final()]).toString("utf8");
}
