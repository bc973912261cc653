import { randomBytes } from "node:crypto";
import { parseKeyring } from "../../src/secrets/keyring.js";
import { open, seal } from "../../src/secrets/secret-box.js";

const key = () => randomBytes(32).toString("base64");

describe("rotating SECRETS_KEY", () => {
  const oldKey = key();
  const newKey = key();

  it("opens a secret sealed under the old key after rotation, and seals new ones under the new key", () => {
    const before = parseKeyring(oldKey); // a single key is version 1
    const sealed = seal(before, "postgres://app:s3cret@db/app");
    expect(sealed.keyVersion).toBe(1);

    for (const rotated of [`2:${newKey},1:${oldKey}`, `${newKey},${oldKey}`]) {
      const keyring = parseKeyring(rotated);
      expect(keyring.current).toBe(2);
      expect(open(keyring, sealed)).toBe("postgres://app:s3cret@db/app");

      const fresh = seal(keyring, "new secret");
      expect(fresh.keyVersion).toBe(2);
      expect(open(keyring, fresh)).toBe("new secret");
      // Really under the new key: the old keyring cannot open it, even were the version forged.
      expect(() => open(before, fresh)).toThrow("no key of version 2 in SECRETS_KEY");
      expect(() => open(before, { ...fresh, keyVersion: 1 })).toThrow();
    }
  });

  it("fails clearly on a secret whose key version the keyring no longer holds", () => {
    const sealed = seal(parseKeyring(oldKey), "kept too long");
    const withoutOld = parseKeyring(`2:${newKey}`);
    expect(() => open(withoutOld, sealed)).toThrow(
      "no key of version 1 in SECRETS_KEY to decrypt a stored secret",
    );
    expect(() => open(withoutOld, { ...sealed, keyVersion: 7 })).toThrow(
      "no key of version 7 in SECRETS_KEY to decrypt a stored secret",
    );
  });

  it("refuses a keyring it cannot use, naming the entry", () => {
    expect(() => parseKeyring(`2:${newKey},2:${oldKey}`)).toThrow(
      "SECRETS_KEY: key version 2 appears twice",
    );
    expect(() => parseKeyring(`0:${newKey}`)).toThrow("SECRETS_KEY: bad key version 0");
    expect(() => parseKeyring(`2:${randomBytes(16).toString("base64")}`)).toThrow(
      "SECRETS_KEY: key version 2 is not 32 bytes of base64",
    );
  });
});
