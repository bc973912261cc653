import { randomBytes, randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { githubSignature } from "../../src/http/webhook/github-signature.js";
import { parseKeyring } from "../../src/secrets/keyring.js";
import { seal } from "../../src/secrets/secret-box.js";
import { addProject } from "../../src/store/projects.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// Issue 18 item 6: one webhook secret served every repository, so whoever held it could deploy
// as any project. Each project now verifies its pushes with its own secret, and a push
// deploys only when `ref` is exactly refs/heads/<its deploy branch>.
const GLOBAL = "the-global-webhook-secret-0123456789";
let stack: TestStack;
let app: FastifyInstance;
const secrets: Record<string, string> = {};

beforeAll(async () => {
  stack = await createTestStack({ GITHUB_WEBHOOK_SECRET: GLOBAL });
  app = await buildTestApp(stack);
  for (const slug of ["alpha", "beta"]) {
    const added = await addProject(stack.db, stack.keyring, {
      slug,
      repoUrl: `https://github.com/acme/${slug}.git`,
      branch: "main",
    });
    secrets[slug] = added.webhookSecret;
  }
  // A project registered before projects had secrets of their own.
  await stack.db.project.create({
    data: { slug: "legacy", repoUrl: "https://github.com/acme/legacy.git", branch: "main" },
  });
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

function push(repo: string, ref = "refs/heads/main") {
  return JSON.stringify({
    ref,
    after: randomBytes(20).toString("hex"),
    repository: { full_name: `acme/${repo}`, clone_url: `https://github.com/acme/${repo}.git` },
  });
}

function deliver(body: string, secret: string, target = app) {
  return target.inject({
    method: "POST",
    url: "/webhooks/github",
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": githubSignature(secret, body),
    },
    payload: body,
  });
}

/** Deployments recorded and deploy jobs queued. */
async function recorded() {
  const jobs = await stack.queue.getJobCounts("waiting", "delayed", "active", "prioritized");
  return {
    deployments: await stack.db.deployment.count(),
    deliveries: await stack.db.webhookDelivery.count(),
    jobs: Object.values(jobs).reduce((a, b) => a + b, 0),
  };
}

async function expectNothingQueued(run: () => Promise<{ statusCode: number }>) {
  const before = await recorded();
  const response = await run();
  expect(await recorded()).toEqual(before);
  return response;
}

it("gives every project its own secret", () => {
  expect(secrets.alpha).toMatch(/^[0-9a-f]{64}$/);
  expect(secrets.beta).toMatch(/^[0-9a-f]{64}$/);
  expect(secrets.alpha).not.toBe(secrets.beta);
});

it("refuses a delivery signed with project A's secret that names project B's repository", async () => {
  const response = await expectNothingQueued(() => deliver(push("beta"), secrets.alpha!));
  expect(response.statusCode).toBe(401);
  // Signed with B's own secret, the same push deploys B.
  const own = await deliver(push("beta"), secrets.beta!);
  expect(own.statusCode).toBe(201);
});

it("refuses the global secret for a project with its own secret, even with the fallback on", async () => {
  const fallback = await buildTestApp(stack, {
    config: { ...stack.config, http: { ...stack.config.http, webhookGlobalSecretFallback: true } },
  });
  try {
    const response = await expectNothingQueued(() => deliver(push("alpha"), GLOBAL, fallback));
    expect(response.statusCode).toBe(401);
  } finally {
    await fallback.close();
  }
});

it("accepts the global secret only with WEBHOOK_GLOBAL_SECRET_FALLBACK=1, and only for a project without its own", async () => {
  // GITHUB_WEBHOOK_SECRET set, the fallback not asked for: it verifies nothing.
  const off = await expectNothingQueued(() => deliver(push("legacy"), GLOBAL));
  expect(off.statusCode).toBe(401);
  const fallback = await buildTestApp(stack, {
    config: { ...stack.config, http: { ...stack.config.http, webhookGlobalSecretFallback: true } },
  });
  try {
    const on = await deliver(push("legacy"), GLOBAL, fallback);
    expect(on.statusCode).toBe(201);
    // A push to an unregistered repository, signed with the global secret: said so (404).
    const unknown = await expectNothingQueued(() => deliver(push("nobody"), GLOBAL, fallback));
    expect(unknown.statusCode).toBe(404);
  } finally {
    await fallback.close();
  }
});

it.each([
  ["refs/heads/other", /branch other is not deployed \(alpha deploys main\)/],
  ["refs/pull/1/head", /refs\/pull\/1\/head is not a branch/],
  ["refs/heads/main/x", /branch main\/x is not deployed/],
  ["refs/tags/v1", /refs\/tags\/v1 is not a branch/],
  ["refs/heads/mainx", /branch mainx is not deployed/],
])("ignores a correctly signed push to %s (202), queuing nothing", async (ref, reason) => {
  const response = await expectNothingQueued(() => deliver(push("alpha", ref), secrets.alpha!));
  expect(response.statusCode).toBe(202);
  expect((response as unknown as { json(): { ignored: string } }).json().ignored).toMatch(reason);
});

it("rotating a project's secret prints the new one once, and the old one stops verifying", async () => {
  const rotated = await cli(["projects", "set", "alpha", "--rotate-webhook-secret"], stack.env);
  expect(rotated.exitCode).toBe(0);
  const lines = String(rotated.stdout).split("\n");
  const fresh = lines.at(-1)!;
  expect(fresh).toMatch(/^[0-9a-f]{64}$/);
  expect(fresh).not.toBe(secrets.alpha);
  expect(rotated.stdout).toMatch(/the previous webhook secret no longer verifies any delivery/);
  // Stored sealed, never in clear.
  const row = await stack.db.project.findUniqueOrThrow({ where: { slug: "alpha" } });
  expect(JSON.stringify(row)).not.toContain(fresh);

  const old = await expectNothingQueued(() => deliver(push("alpha"), secrets.alpha!));
  expect(old.statusCode).toBe(401);
  expect((await deliver(push("alpha"), fresh)).statusCode).toBe(201);
  // `projects show` says the project has a secret, and never prints it.
  const shown = await cli(["projects", "show", "alpha"], stack.env);
  expect(shown.stdout).toMatch(/^webhook\s+its own secret$/m);
  expect(shown.stdout).not.toContain(fresh);
});

it("`projects add` prints the new project's secret once, which verifies its pushes", async () => {
  const added = await cli(
    ["projects", "add", "gamma", "--repo", "https://github.com/acme/gamma.git"],
    stack.env,
  );
  expect(added.exitCode).toBe(0);
  const secret = String(added.stdout).split("\n").at(-1)!;
  expect(secret).toMatch(/^[0-9a-f]{64}$/);
  expect((await deliver(push("gamma"), secret)).statusCode).toBe(201);
  const shown = await cli(["projects", "show", "legacy"], stack.env);
  expect(shown.stdout).toMatch(/^webhook\s+no secret of its own: pushes are refused unless/m);
});

it("refuses (401, never 500) a project whose secret the keyring cannot open", async () => {
  const lost = parseKeyring(`9:${randomBytes(32).toString("base64")}`);
  const sealed = seal(lost, "a-secret-under-a-key-the-worker-lost");
  await stack.db.project.create({
    data: {
      slug: "lost-key",
      repoUrl: "https://github.com/acme/lost-key.git",
      webhookSecretEncrypted: sealed.ciphertext,
      webhookSecretKeyVersion: sealed.keyVersion,
    },
  });
  const response = await expectNothingQueued(() =>
    deliver(push("lost-key"), "a-secret-under-a-key-the-worker-lost"),
  );
  expect(response.statusCode).toBe(401);
});
