import { randomBytes, randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { githubSignature } from "../../src/http/webhook/github-signature.js";
import { addProject } from "../../src/store/projects.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

const MAX_BODY = 64 * 1024;

let stack: TestStack;
let app: FastifyInstance;
/** Each project's own webhook secret, by the repository its deliveries name. */
const secrets = new Map<string, string>();

beforeAll(async () => {
  stack = await createTestStack({ WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY) });
  app = await buildTestApp(stack);
  // Registered without `.git`: the payload's clone_url has it, its html_url does not.
  const shop = await addProject(stack.db, stack.keyring, {
    slug: "shop",
    repoUrl: "https://github.com/acme/shop",
    branch: "main",
  });
  secrets.set("acme/shop", shop.webhookSecret);
  const blog = await addProject(stack.db, stack.keyring, {
    slug: "blog",
    repoUrl: "git@github.com:Acme/Blog.git",
    branch: "production",
  });
  secrets.set("acme/blog", blog.webhookSecret);
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

const sha = () => randomBytes(20).toString("hex");

function pushPayload(
  overrides: { repo?: string; ref?: string; after?: string; deleted?: boolean } = {},
) {
  const repo = overrides.repo ?? "acme/shop";
  return {
    ref: overrides.ref ?? "refs/heads/main",
    before: sha(),
    after: overrides.after ?? sha(),
    deleted: overrides.deleted ?? false,
    sender: { login: "octocat" },
    pusher: { name: "Octo Cat", email: "octocat@example.com" },
    repository: {
      full_name: repo,
      clone_url: `https://github.com/${repo}.git`,
      html_url: `https://github.com/${repo}`,
      ssh_url: `git@github.com:${repo}.git`,
      git_url: `git://github.com/${repo}.git`,
    },
  };
}

function deliver(
  payload: unknown,
  options: {
    event?: string;
    delivery?: string;
    signature?: string | null;
    raw?: string;
    target?: FastifyInstance;
  } = {},
) {
  const body = options.raw ?? JSON.stringify(payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": options.event ?? "push",
    "x-github-delivery": options.delivery ?? randomUUID(),
  };
  const repo = (payload as { repository?: { full_name?: string } } | null)?.repository?.full_name;
  const secret = secrets.get(repo ?? "acme/shop") ?? "an-unknown-secret-0123456789";
  const signature =
    options.signature === undefined ? githubSignature(secret, body) : options.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  return (options.target ?? app).inject({
    method: "POST",
    url: "/webhooks/github",
    headers,
    payload: body,
  });
}

/** Runs a rejected delivery and checks that it recorded nothing. */
async function expectNothingRecorded<R>(run: () => Promise<R>): Promise<R> {
  const before = await stack.db.deployment.count();
  const deliveries = await stack.db.webhookDelivery.count();
  const response = await run();
  expect(await stack.db.deployment.count()).toBe(before);
  expect(await stack.db.webhookDelivery.count()).toBe(deliveries);
  return response;
}

describe("GET /healthz", () => {
  it("answers 200 while the process is up", async () => {
    const response = await app.inject({ method: "GET", url: "/healthz" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
  });
});

describe("POST /webhooks/github: signatures", () => {
  it("refuses a delivery without X-Hub-Signature-256 (401)", async () => {
    const response = await expectNothingRecorded(() => deliver(pushPayload(), { signature: null }));
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatch(/missing X-Hub-Signature-256/);
  });

  it("refuses a delivery signed with another secret (401)", async () => {
    const payload = pushPayload();
    const response = await expectNothingRecorded(() =>
      deliver(payload, {
        signature: githubSignature("another-secret-0123456789", JSON.stringify(payload)),
      }),
    );
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatch(/does not match/);
  });

  it("refuses a signature of different bytes than were sent (401)", async () => {
    const payload = pushPayload();
    const response = await expectNothingRecorded(() =>
      deliver(payload, {
        signature: githubSignature(secrets.get("acme/shop")!, `${JSON.stringify(payload)} `),
      }),
    );
    expect(response.statusCode).toBe(401);
  });

  it("refuses a malformed signature header (401)", async () => {
    const response = await expectNothingRecorded(() =>
      deliver(pushPayload(), { signature: "sha1=abc" }),
    );
    expect(response.statusCode).toBe(401);
  });

  it("refuses a delivery signed with another project's secret (401)", async () => {
    const payload = pushPayload();
    const response = await expectNothingRecorded(() =>
      deliver(payload, {
        signature: githubSignature(secrets.get("acme/blog")!, JSON.stringify(payload)),
      }),
    );
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatch(/does not match the body .* deploying acme\/shop/);
  });
});

describe("POST /webhooks/github: events", () => {
  it("answers a ping with 200", async () => {
    const response = await expectNothingRecorded(() =>
      deliver(
        { zen: "Keep it logically awesome.", hook_id: 1, repository: pushPayload().repository },
        { event: "ping" },
      ),
    );
    expect(response.statusCode).toBe(200);
  });

  it("records who pushed: the pusher's git name when there is no GitHub login, and a strange one ignored", async () => {
    const byName = { ...pushPayload(), sender: undefined };
    const named = await deliver(byName);
    expect(named.statusCode).toBe(201);
    const first = await stack.db.deployment.findUniqueOrThrow({
      where: { id: named.json().deploymentId },
    });
    expect(first.requestedBy).toBe("Octo Cat");
    // Neither a string: the push still deploys, recorded without a name.
    const odd = await deliver({ ...pushPayload(), sender: { login: 42 }, pusher: "nobody" });
    expect(odd.statusCode).toBe(201);
    const second = await stack.db.deployment.findUniqueOrThrow({
      where: { id: odd.json().deploymentId },
    });
    expect(second.requestedBy).toBeNull();
    // Control characters, NUL among them, are dropped; a long name is cut.
    const nul = await deliver({
      ...pushPayload(),
      sender: { login: `oct\u0000o\ncat${"x".repeat(200)}` },
    });
    expect(nul.statusCode).toBe(201);
    const third = await stack.db.deployment.findUniqueOrThrow({
      where: { id: nul.json().deploymentId },
    });
    expect(third.requestedBy).toBe(`octocat${"x".repeat(93)}`);
  });

  it("a push to the deploy branch records one deployment and queues its job (201)", async () => {
    const after = sha();
    const before = await stack.db.deployment.count();
    const response = await deliver(pushPayload({ after }));
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toEqual({ deploymentId: expect.any(String), status: "queued" });
    expect(await stack.db.deployment.count()).toBe(before + 1);

    const deployment = await stack.db.deployment.findUniqueOrThrow({
      where: { id: body.deploymentId },
      include: { project: true, steps: { orderBy: { position: "asc" } } },
    });
    expect(deployment).toMatchObject({
      status: "queued",
      trigger: "webhook",
      ref: after,
      repoUrl: "https://github.com/acme/shop",
      requestedBy: "octocat",
    });
    expect(deployment.project.slug).toBe("shop");
    // The registered project was not changed by the push.
    expect(deployment.project.repoUrl).toBe("https://github.com/acme/shop");
    expect(deployment.steps.every((s) => s.status === "pending")).toBe(true);

    const job = await stack.queue.getJob(body.deploymentId);
    expect(job?.data).toEqual({ deploymentId: body.deploymentId });
  });

  it("a redelivery returns the same deployment (200) and records nothing new", async () => {
    const payload = pushPayload();
    const delivery = randomUUID();
    const first = await deliver(payload, { delivery });
    expect(first.statusCode).toBe(201);
    const again = await expectNothingRecorded(() => deliver(payload, { delivery }));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ deploymentId: first.json().deploymentId, status: "queued" });
  });

  it("a second push of the same commit to the same project returns the same deployment", async () => {
    const after = sha();
    const first = await deliver(pushPayload({ after }));
    expect(first.statusCode).toBe(201);
    const second = await expectNothingRecorded(() => deliver(pushPayload({ after })));
    expect(second.statusCode).toBe(200);
    expect(second.json().deploymentId).toBe(first.json().deploymentId);
  });

  it("concurrent deliveries of one commit record exactly one deployment", async () => {
    const payload = pushPayload();
    const before = await stack.db.deployment.count();
    const responses = await Promise.all(Array.from({ length: 5 }, () => deliver(payload)));
    const ids = new Set(responses.map((r) => r.json().deploymentId));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(4);
    expect(await stack.db.deployment.count()).toBe(before + 1);
  });

  it("matches a project registered by its ssh address, whatever the case", async () => {
    const response = await deliver(
      pushPayload({ repo: "acme/blog", ref: "refs/heads/production" }),
    );
    expect(response.statusCode).toBe(201);
    const deployment = await stack.db.deployment.findUniqueOrThrow({
      where: { id: response.json().deploymentId },
      include: { project: true },
    });
    expect(deployment.project.slug).toBe("blog");
  });

  it("ignores a push to another branch (202, with the reason)", async () => {
    const response = await expectNothingRecorded(() =>
      deliver(pushPayload({ ref: "refs/heads/feature/x" })),
    );
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({
      ignored: "branch feature/x is not deployed (shop deploys main)",
    });
  });

  it("ignores a branch deletion and a tag push (202)", async () => {
    const deleted = await expectNothingRecorded(() =>
      deliver(pushPayload({ deleted: true, after: "0".repeat(40) })),
    );
    expect(deleted.statusCode).toBe(202);
    expect(deleted.json().ignored).toMatch(/branch main was deleted/);
    const tag = await expectNothingRecorded(() => deliver(pushPayload({ ref: "refs/tags/v1" })));
    expect(tag.statusCode).toBe(202);
    expect(tag.json().ignored).toMatch(/not a branch/);
  });

  it("ignores other events (202, with the reason)", async () => {
    const response = await expectNothingRecorded(() =>
      deliver({ action: "opened", repository: pushPayload().repository }, { event: "issues" }),
    );
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ ignored: "event issues does not deploy: only push does" });
  });

  it("answers 401 for a repository no project deploys: no secret of its can have signed it", async () => {
    const response = await expectNothingRecorded(() =>
      deliver(pushPayload({ repo: "someone/else" })),
    );
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatch(/deploying someone\/else/);
  });

  it("answers 401 for malformed JSON: it names no repository whose secret could verify it", async () => {
    const response = await expectNothingRecorded(() =>
      deliver(null, { raw: '{"ref": "refs/heads/main",' }),
    );
    expect(response.statusCode).toBe(401);
  });

  it("answers 400 for a signed body that is not a push payload", async () => {
    const response = await expectNothingRecorded(() =>
      deliver({ ref: 42, repository: pushPayload().repository }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(/not a push payload/);
  });

  it("answers 400 for a push whose after is not a commit id", async () => {
    const response = await expectNothingRecorded(() => deliver(pushPayload({ after: "main" })));
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(/after is not a commit id/);
  });

  it("answers 413 for a body over WEBHOOK_MAX_BODY_BYTES", async () => {
    const payload = { ...pushPayload(), padding: "x".repeat(MAX_BODY) };
    const response = await expectNothingRecorded(() => deliver(payload));
    expect(response.statusCode).toBe(413);
  });

  it("answers 415 for a form-encoded delivery, naming the setting to change", async () => {
    const body = `payload=${encodeURIComponent(JSON.stringify(pushPayload()))}`;
    const response = await expectNothingRecorded(() =>
      app.inject({
        method: "POST",
        url: "/webhooks/github",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": githubSignature(secrets.get("acme/shop")!, body),
        },
        payload: body,
      }),
    );
    expect(response.statusCode).toBe(415);
    expect(response.json().error).toMatch(/application\/json/);
  });
});
