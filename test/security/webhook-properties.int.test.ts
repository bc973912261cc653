import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { githubSignature } from "../../src/http/webhook/github-signature.js";
import { addProject } from "../../src/store/projects.js";
import { propertyRuns } from "../helpers/property-runs.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Whatever reaches POST /webhooks/github — any bytes, any headers, signed or not — the answer
// is a 4xx or a 2xx, never a 5xx; nothing is recorded for an unsigned or malformed delivery,
// and a signed one records a deployment only when it answers 201.
// The project's own webhook secret (made by addProject).
let SECRET: string;
let stack: TestStack;
let app: FastifyInstance;

beforeAll(async () => {
  stack = await createTestStack();
  app = await buildTestApp(stack);
  const added = await addProject(stack.db, stack.keyring, {
    slug: "shop",
    repoUrl: "https://github.com/acme/shop",
    branch: "main",
  });
  SECRET = added.webhookSecret;
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

const text = fc.string({ unit: "grapheme-ascii", maxLength: 60 });
const hex40 = fc.stringMatching(/^[0-9a-f]{40}$/);
const body = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
  fc.json({ maxDepth: 3 }).map((json) => Buffer.from(json)),
  fc.string({ unit: "binary", maxLength: 300 }).map((s) => Buffer.from(s)),
  // Push-shaped payloads with every field possibly wrong: GitHub's own shape, bent.
  fc
    .record(
      {
        ref: fc.oneof(
          fc.constantFrom("refs/heads/main", "refs/tags/v1", "refs/heads/$(id)", "refs/heads/a;b"),
          text,
        ),
        after: fc.oneof(hex40, fc.constant("0".repeat(40)), text, fc.integer()),
        deleted: fc.oneof(fc.boolean(), fc.constant("yes")),
        repository: fc.oneof(
          fc.record(
            {
              full_name: text,
              clone_url: fc.oneof(
                fc.constantFrom(
                  "https://github.com/acme/shop.git",
                  "https://github.com/ACME/shop/",
                  "git@github.com:acme/shop.git",
                  "-uhelp",
                  "ext::sh -c id",
                ),
                text,
              ),
              html_url: text,
            },
            { requiredKeys: [] },
          ),
          fc.jsonValue({ maxDepth: 1 }),
        ),
      },
      { requiredKeys: [] },
    )
    .map((payload) => Buffer.from(JSON.stringify(payload))),
);
const event = fc.oneof(fc.constantFrom("push", "ping", "issues", ""), text);
const contentType = fc.oneof(
  fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", ""),
  text,
);
const delivery = fc.option(fc.oneof(fc.uuid(), text), { nil: undefined });

async function deliver(
  payload: Buffer,
  headers: { event: string; contentType: string; delivery?: string; signature?: string },
) {
  const sent: Record<string, string> = { "x-github-event": headers.event };
  if (headers.contentType) sent["content-type"] = headers.contentType;
  if (headers.delivery !== undefined) sent["x-github-delivery"] = headers.delivery;
  if (headers.signature !== undefined) sent["x-hub-signature-256"] = headers.signature;
  return app.inject({ method: "POST", url: "/webhooks/github", headers: sent, payload });
}

async function counts() {
  return {
    deployments: await stack.db.deployment.count(),
    deliveries: await stack.db.webhookDelivery.count(),
  };
}

it("refuses any unsigned or wrongly signed delivery (401), recording nothing", async () => {
  const before = await counts();
  const signature = fc.option(
    fc.oneof(
      text,
      hex40.map((h) => `sha256=${h}`),
      fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256=${h}`),
      fc.constant("sha1=0000"),
    ),
    { nil: undefined },
  );
  await fc.assert(
    fc.asyncProperty(
      body,
      event,
      contentType,
      delivery,
      signature,
      async (payload, ev, type, id, sig) => {
        const response = await deliver(payload, {
          event: ev,
          contentType: type,
          delivery: id,
          signature: sig,
        });
        // 415: a Content-Type header fastify cannot even parse is refused before the route.
        expect([401, 415]).toContain(response.statusCode);
        expect(response.json()).toMatchObject({ error: expect.any(String) });
      },
    ),
    propertyRuns(200),
  );
  expect(await counts()).toEqual(before);
});

it("answers any signed delivery with a 2xx or 4xx, recording only what it answers 201 for", async () => {
  await fc.assert(
    fc.asyncProperty(body, event, contentType, delivery, async (payload, ev, type, id) => {
      const before = await counts();
      const response = await deliver(payload, {
        event: ev,
        contentType: type,
        delivery: id,
        signature: githubSignature(SECRET, payload),
      });
      expect(response.statusCode).toBeLessThan(500);
      expect(response.statusCode).toBeGreaterThanOrEqual(200);
      const after = await counts();
      if (response.statusCode === 201) {
        expect(after.deployments).toBe(before.deployments + 1);
        const { deploymentId } = response.json() as { deploymentId: string };
        const recorded = await stack.db.deployment.findUniqueOrThrow({
          where: { id: deploymentId },
          select: { ref: true, repoUrl: true, project: { select: { slug: true } } },
        });
        expect(recorded).toEqual({
          ref: expect.stringMatching(/^[0-9a-f]{40}$/),
          repoUrl: "https://github.com/acme/shop",
          project: { slug: "shop" },
        });
      } else {
        expect(after.deployments).toBe(before.deployments);
        if (response.statusCode !== 200) expect(after.deliveries).toBe(before.deliveries);
      }
    }),
    propertyRuns(250),
  );
});

it("records one deployment per signed push to the deploy branch, whatever else the payload holds", async () => {
  await fc.assert(
    fc.asyncProperty(
      hex40,
      fc.dictionary(
        text.filter((key) => key !== "deleted"),
        fc.jsonValue({ maxDepth: 2 }),
        { maxKeys: 5 },
      ),
      fc.uuid(),
      async (after, extra, id) => {
        const before = await counts();
        const payload = Buffer.from(
          JSON.stringify({
            ...extra,
            ref: "refs/heads/main",
            after,
            repository: { clone_url: "https://github.com/acme/shop.git" },
          }),
        );
        const response = await deliver(payload, {
          event: "push",
          contentType: "application/json",
          delivery: id,
          signature: githubSignature(SECRET, payload),
        });
        // 200: this commit was pushed before (the generator repeats itself now and then).
        expect([200, 201]).toContain(response.statusCode);
        expect((await counts()).deployments).toBe(
          before.deployments + (response.statusCode === 201 ? 1 : 0),
        );
      },
    ),
    propertyRuns(100),
  );
});
