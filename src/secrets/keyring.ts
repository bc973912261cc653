import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** The keys stored secrets are encrypted with: the newest encrypts, any of them decrypts. */
export type Keyring = { current: number; keys: Map<number, Buffer> };

/**
 * Parses SECRETS_KEY: one base64 32-byte key (version 1), or `version:key` pairs separated by
 * commas, newest first, so old ciphertexts stay readable while a key is rotated.
 */
export function parseKeyring(value: string): Keyring {
  const keys = new Map<number, Buffer>();
  const entries = value.split(",").map((entry, index, all) => {
    const [version, key] = entry.includes(":")
      ? entry.split(":")
      : [String(all.length - index), entry];
    return { version: Number(version), key: Buffer.from(key!, "base64") };
  });
  for (const { version, key } of entries) {
    if (!Number.isInteger(version) || version < 1)
      throw new Error(`SECRETS_KEY: bad key version ${version}`);
    if (key.length !== 32)
      throw new Error(`SECRETS_KEY: key version ${version} is not 32 bytes of base64`);
    if (keys.has(version)) throw new Error(`SECRETS_KEY: key version ${version} appears twice`);
    keys.set(version, key);
  }
  return { current: entries[0]!.version, keys };
}

/**
 * The keyring from SECRETS_KEY, or, when it is not set (a single machine, local use), from a
 * key file in the data directory, created on first use and readable by the worker's user only.
 */
export async function loadKeyring(
  secretsKey: string | undefined,
  dataDir: string,
): Promise<Keyring> {
  if (secretsKey) return parseKeyring(secretsKey);
  const file = path.join(dataDir, "secrets.key");
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(file, `1:${randomBytes(32).toString("base64")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return parseKeyring((await readFile(file, "utf8")).trim());
}
