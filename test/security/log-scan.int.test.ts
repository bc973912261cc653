import { randomBytes } from "node:crypto";
import { open } from "../../src/secrets/secret-box.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { storedRows } from "../helpers/stored-rows.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// After real deploys whose app prints every secret it is given, nothing the worker stored or
// logged holds a project password, the admin URL (or its password) or the secrets key.
const ADMIN_PASSWORD = `admin-${randomBytes(8).toString("hex")}`;
const TIMEOUT = 180_000;
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({
    // Local connections are trusted: the password is never checked, only carried.
    ADMIN_DATABASE_URL: `postgresql://postgres:${ADMIN_PASSWORD}@127.0.0.1:5432/postgres`,
  });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const PRINT_SECRETS = [
  "const url = new URL(process.env.DATABASE_URL);",
  "console.log('DATABASE_URL', process.env.DATABASE_URL);",
  "console.log('DIRECT_URL', process.env.DIRECT_URL);",
  "console.error('password', decodeURIComponent(url.password));",
  "console.log('encoded password', url.password);",
  "console.log(JSON.stringify(process.env));",
].join("\n");

it(
  "no stored log line, step or deployment column, nor worker log line, holds a password, the admin URL or the key",
  async () => {
    const passing = await fixtureRepo("node-http", { "scripts/build.js": PRINT_SECRETS });
    const failing = await fixtureRepo("node-http", {
      "scripts/build.js": `${PRINT_SECRETS}\nthrow new Error('cannot build with ' + process.env.DATABASE_URL);`,
    });
    const passed = await stack.waitForEnd(
      await stack.deploy({ project: "prints-secrets", repoUrl: passing.dir }),
      TIMEOUT,
    );
    const failed = await stack.waitForEnd(
      await stack.deploy({ project: "fails-with-secrets", repoUrl: failing.dir }),
      TIMEOUT,
    );
    expect(passed.status).toBe("succeeded");
    expect(failed).toMatchObject({ status: "failed", errorCode: "BUILD_FAILED" });

    const passwords = (await stack.db.projectDatabase.findMany()).map((stored) =>
      open(stack.keyring, { ciphertext: stored.passwordEncrypted, keyVersion: stored.keyVersion }),
    );
    expect(passwords).toHaveLength(2);
    const secrets = [
      ...passwords,
      ...passwords.map(encodeURIComponent),
      stack.config.adminDatabaseUrl,
      ADMIN_PASSWORD,
      stack.config.secretsKey!,
    ];

    const stored = await storedRows(stack.db);
    // The scan reads what the app printed: it would see a leak.
    expect(stored.some((row) => row.includes("DATABASE_URL postgresql://"))).toBe(true);
    expect(stored.some((row) => row.includes("password [redacted]"))).toBe(true);
    const leaks = [...stored, ...stack.logs].flatMap((text) =>
      secrets.filter((secret) => text.includes(secret)).map((secret) => ({ secret, text })),
    );
    expect(leaks).toEqual([]);
  },
  TIMEOUT * 2,
);
