import { jest } from "@jest/globals";
import { readLogLines } from "../../src/store/step-log-lines.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Each test waits for a real deploy to end (60 s).
jest.setTimeout(120_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

it("injects DATABASE_URL and DIRECT_URL into app commands, and no password reaches a log", async () => {
  const repo = await fixtureRepo("node-http", {
    "scripts/build.js": [
      "const pooled = new URL(process.env.DATABASE_URL);",
      "const direct = new URL(process.env.DIRECT_URL);",
      'console.log("pooled", pooled.host, pooled.pathname);',
      'console.log("direct", direct.host);',
      'console.log("full url", process.env.DATABASE_URL);',
      'console.error("password is", decodeURIComponent(pooled.password));',
      'console.log("worker secrets visible:", Boolean(process.env.SECRETS_KEY || process.env.REDIS_URL || process.env.ADMIN_DATABASE_URL));',
    ].join("\n"),
  });
  const id = await stack.deploy({ project: "leaky", repoUrl: repo.dir });
  const record = await stack.waitForEnd(id);
  expect(record.status).toBe("succeeded");

  const stored = await stack.db.projectDatabase.findFirstOrThrow({
    where: { project: { slug: "leaky" } },
  });
  const { open } = await import("../../src/secrets/secret-box.js");
  const password = open(stack.keyring, {
    ciphertext: stored.passwordEncrypted,
    keyVersion: stored.keyVersion,
  });
  expect(stored.passwordEncrypted).not.toContain(password);

  const build = await stack.db.deploymentStep.findFirstOrThrow({
    where: { deploymentId: id, name: "build" },
  });
  const lines = (await readLogLines(stack.db, build.id)).map((l) => l.line);
  // The documented addresses inside the box (the host's PgBouncer port is a random one here).
  expect(lines).toContain(`pooled 127.0.0.1:6432 /${stored.databaseName}`);
  expect(lines).toContain("direct 127.0.0.1:5433");
  expect(lines).toContain("password is [redacted]");
  expect(lines).toContain("worker secrets visible: false");

  const everything = [
    ...lines,
    json(await stack.db.deploymentStep.findMany({ where: { deploymentId: id } })),
    json(await stack.db.deployment.findUnique({ where: { id } })),
    ...stack.logs,
  ].join("\n");
  expect(everything).not.toContain(password);
  expect(everything).not.toContain(encodeURIComponent(password));
  expect(stack.logs.length).toBeGreaterThan(5);
});

it("redacts the password from a failed step's evidence, which the classifier picked", async () => {
  const repo = await fixtureRepo("node-http", {
    "scripts/build.js": [
      'console.log("building");',
      'console.error("Error: password authentication failed for user app (" + process.env.DATABASE_URL + ")");',
      "process.exit(1);",
    ].join("\n"),
  });
  const id = await stack.deploy({ project: "leaky-failure", repoUrl: repo.dir });
  const record = await stack.waitForEnd(id);
  expect(record.status).toBe("failed");
  const stored = await stack.db.projectDatabase.findFirstOrThrow({
    where: { project: { slug: "leaky-failure" } },
  });
  const { open } = await import("../../src/secrets/secret-box.js");
  const password = open(stack.keyring, {
    ciphertext: stored.passwordEncrypted,
    keyVersion: stored.keyVersion,
  });
  const build = await stack.db.deploymentStep.findFirstOrThrow({
    where: { deploymentId: id, name: "build" },
  });
  expect(build.evidence).toMatch(/^Error: password authentication failed .*:\[redacted\]@/);
  expect(json(build)).not.toContain(password);
  expect(json(build)).not.toContain(encodeURIComponent(password));
});

function json(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? String(v) : v));
}
