import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { loadConfig } from "../../src/config.js";
import { publicDeployment } from "../../src/deploys/public-deployment.js";
import { buildApp } from "../../src/http/build-app.js";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { getDeploymentRecord } from "../../src/store/deployment-record.js";
import {
  claimDeployment,
  createDeployment,
  finishDeployment,
} from "../../src/store/deployments.js";
import { appendLogLines } from "../../src/store/step-log-lines.js";
import { finishStep, startStep } from "../../src/store/steps.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

const TOKEN = "dashboard-test-admin-token-0123456789";
const SCRIPT = "<script>alert(1)</script>";

let stack: TestStack;
let app: FastifyInstance;
let failedId: string;
let queuedId: string;

beforeAll(async () => {
  stack = await createTestStack({ ADMIN_TOKEN: TOKEN });
  app = await buildTestApp(stack);
  // Written straight to the store, past the edge's checks: the pages must escape whatever is there.
  const failed = await createDeployment(stack.db, {
    project: "xss",
    repoUrl: `/tmp/"><img src=x onerror=alert(1)>`,
    ref: `main${SCRIPT}`,
    trigger: "cli",
    steps: DEPLOY_STEP_NAMES,
  });
  failedId = failed.id;
  const attempt = {
    deploymentId: failedId,
    attempt: (await claimDeployment(stack.db, failedId))!.attempt,
  };
  const key = { ...attempt, name: "checkout" };
  const step = await startStep(stack.db, key);
  await appendLogLines(
    stack.db,
    { ...attempt, stepId: step.id },
    {
      firstSeq: 0,
      at: new Date(),
      lines: [
        { stream: "stdout", line: "fetching" },
        { stream: "stderr", line: `fatal: ${SCRIPT}` },
      ],
    },
  );
  await finishStep(stack.db, key, {
    status: "failed",
    durationMs: 1500,
    exitCode: 128,
    errorCode: "CHECKOUT_FAILED",
    hint: `Check the repository ${SCRIPT}`,
    evidence: `fatal: ${SCRIPT}`,
    evidenceLine: 2,
  });
  await finishDeployment(stack.db, attempt, { status: "failed", errorCode: "CHECKOUT_FAILED" });
  queuedId = (
    await createDeployment(stack.db, {
      project: "other",
      repoUrl: "/tmp/other",
      ref: "main",
      trigger: "cli",
      steps: DEPLOY_STEP_NAMES,
    })
  ).id;
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

const bearer = { authorization: `Bearer ${TOKEN}` };
const basic = (password: string) => ({
  authorization: `Basic ${Buffer.from(`anyone:${password}`).toString("base64")}`,
});

/** Every route of the dashboard, Bull Board and the API. */
function routes() {
  const id = failedId;
  return [
    ["GET", "/admin"],
    ["GET", "/admin/"],
    ["GET", `/admin/deployments/${id}`],
    ["GET", `/admin/deployments/${id}/log`],
    ["GET", "/admin/nowhere"],
    ["POST", "/admin/logout"],
    ["POST", `/admin/deployments/${id}/retry`],
    ["POST", `/admin/deployments/${id}/cancel`],
    ["GET", "/admin/queues"],
    ["GET", "/admin/queues/api/queues"],
    ["GET", "/api/deployments"],
    ["GET", `/api/deployments/${id}`],
    ["POST", `/api/deployments/${id}/retry`],
    ["POST", `/api/deployments/${id}/cancel`],
    ["GET", "/api/nowhere"],
  ] as const;
}

describe("operator auth", () => {
  it("answers 401 to every /admin and /api route without credentials", async () => {
    for (const [method, url] of routes()) {
      const response = await app.inject({ method, url });
      expect([method, url, response.statusCode]).toEqual([method, url, 401]);
      expect(response.body).not.toContain("xss");
    }
  });

  it("answers 401 to a wrong token, as Bearer, as basic auth and as a forged cookie", async () => {
    const wrong = "not-the-admin-token-0123456789";
    let tries = 0;
    for (const [method, url] of routes()) {
      for (const headers of [
        { authorization: `Bearer ${wrong}` },
        basic(wrong),
        { cookie: `coduck_admin=9999999999.abc.${"A".repeat(43)}` },
      ]) {
        // Each from an address of its own: the token is checked, not refused for too many tries.
        const remoteAddress = `10.1.${Math.floor(tries / 250)}.${(tries % 250) + 1}`;
        tries++;
        const response = await app.inject({ method, url, headers, remoteAddress });
        expect([method, url, response.statusCode]).toEqual([method, url, 401]);
      }
    }
  });

  it("serves a browser without credentials the login form, with a 401", async () => {
    const response = await app.inject({ url: "/admin", headers: { accept: "text/html" } });
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain('action="/admin/login"');
  });

  it("answers 200 to the right token as Bearer and as the basic-auth password", async () => {
    for (const headers of [bearer, basic(TOKEN)]) {
      for (const url of [
        "/admin",
        `/admin/deployments/${failedId}`,
        `/admin/deployments/${failedId}/log`,
        "/admin/queues",
        "/admin/queues/api/queues",
      ]) {
        const response = await app.inject({ url, headers });
        expect([url, response.statusCode]).toEqual([url, 200]);
      }
    }
    const api = await app.inject({ url: "/api/deployments", headers: bearer });
    expect(api.statusCode).toBe(200);
  });

  it("does not take basic auth or a cookie on the API: only the Bearer token", async () => {
    const response = await app.inject({ url: "/api/deployments", headers: basic(TOKEN) });
    expect(response.statusCode).toBe(401);
  });

  it("logs in with the form: an HttpOnly SameSite=Strict cookie that then opens every page", async () => {
    const wrong = await app.inject({
      method: "POST",
      url: "/admin/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "token=wrong-token-0123456789&next=%2Fadmin",
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers["set-cookie"]).toBeUndefined();

    const login = await app.inject({
      method: "POST",
      url: "/admin/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: `token=${TOKEN}&next=${encodeURIComponent(`/admin/deployments/${failedId}`)}`,
    });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe(`/admin/deployments/${failedId}`);
    const setCookie = String(login.headers["set-cookie"]);
    expect(setCookie).toMatch(
      /^coduck_admin=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict/,
    );
    const cookie = setCookie.split(";")[0]!;
    expect(cookie).not.toContain(TOKEN);
    for (const url of ["/admin", `/admin/deployments/${failedId}`, "/admin/queues"]) {
      const response = await app.inject({ url, headers: { cookie } });
      expect([url, response.statusCode]).toEqual([url, 200]);
    }
  });

  it("refuses an address that sent 10 wrong tokens any token for 15 minutes, but not a session it already had", async () => {
    const from = "203.0.113.9";
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const login = (token: string, remoteAddress = from) =>
      app.inject({
        method: "POST",
        url: "/admin/login",
        headers: form,
        payload: `token=${encodeURIComponent(token)}&next=%2Fadmin`,
        remoteAddress,
      });
    const session = String((await login(TOKEN)).headers["set-cookie"]).split(";")[0]!;
    // Wrong through the form, as Bearer and as basic auth: they all count.
    for (let i = 0; i < 8; i++)
      expect((await login(`wrong-token-${i}-0123456789`)).statusCode).toBe(401);
    const wrongBearer = { authorization: "Bearer wrong-token-0123456789" };
    expect(
      (await app.inject({ url: "/api/deployments", headers: wrongBearer, remoteAddress: from }))
        .statusCode,
    ).toBe(401);
    expect(
      (
        await app.inject({
          url: "/admin",
          headers: basic("wrong-token-0123456789"),
          remoteAddress: from,
        })
      ).statusCode,
    ).toBe(401);

    // The 11th try is refused, the right token too, whichever way it comes.
    const refused = await login(TOKEN);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(14 * 60);
    expect(refused.headers["set-cookie"]).toBeUndefined();
    expect(refused.body).toContain(
      "too many wrong ADMIN_TOKENs from this address: try again in 15 minutes",
    );
    for (const [url, headers] of [
      ["/api/deployments", bearer],
      ["/admin", basic(TOKEN)],
    ] as const) {
      const response = await app.inject({ url, headers, remoteAddress: from });
      expect([url, response.statusCode, response.json().error]).toEqual([
        url,
        429,
        "too many wrong ADMIN_TOKENs from this address: try again in 15 minutes",
      ]);
    }
    // A session from before still works there; another address is not held back.
    const withSession = await app.inject({
      url: "/admin",
      headers: { cookie: session },
      remoteAddress: from,
    });
    expect(withSession.statusCode).toBe(200);
    expect((await login(TOKEN, "203.0.113.10")).statusCode).toBe(303);
  });

  it("never sends a login back to another site", async () => {
    const login = await app.inject({
      method: "POST",
      url: "/admin/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: `token=${TOKEN}&next=${encodeURIComponent("//evil.example/admin")}`,
    });
    expect(login.headers.location).toBe("/admin");
  });
});

describe("CSRF", () => {
  async function session() {
    const login = await app.inject({
      method: "POST",
      url: "/admin/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: `token=${TOKEN}`,
    });
    const cookie = String(login.headers["set-cookie"]).split(";")[0]!;
    const page = await app.inject({ url: "/admin", headers: { cookie } });
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    return { cookie, csrf };
  }

  it("refuses a cookie-authenticated POST from another origin, and one without the form's token", async () => {
    const { cookie, csrf } = await session();
    const post = (headers: Record<string, string>, payload: string) =>
      app.inject({
        method: "POST",
        url: "/admin/logout",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
        payload,
      });
    const crossSite = await post({ origin: "https://evil.example" }, `csrf=${csrf}`);
    expect(crossSite.statusCode).toBe(403);
    const noOrigin = await post({}, `csrf=${csrf}`);
    expect(noOrigin.statusCode).toBe(403);
    const noToken = await post({ origin: "http://localhost:80" }, "");
    expect(noToken.statusCode).toBe(403);
    const wrongToken = await post({ origin: "http://localhost:80" }, "csrf=forged");
    expect(wrongToken.statusCode).toBe(403);
    const sameSite = await post({ origin: "http://localhost:80" }, `csrf=${csrf}`);
    expect(sameSite.statusCode).toBe(303);
    expect(String(sameSite.headers["set-cookie"])).toContain("Max-Age=0");
  });

  it("refuses a cross-site POST to Bull Board's API even with basic auth", async () => {
    const response = await app.inject({
      method: "PUT",
      url: "/admin/queues/api/queues/pause",
      headers: { ...basic(TOKEN), origin: "https://evil.example" },
    });
    expect(response.statusCode).toBe(403);
  });
});

describe("dashboard pages", () => {
  it("shows a failed deploy's code, evidence with its line number, fix, retry and docs, escaped", async () => {
    const response = await app.inject({ url: `/admin/deployments/${failedId}`, headers: bearer });
    expect(response.statusCode).toBe(200);
    const page = response.body;
    expect(page).toContain("CHECKOUT_FAILED");
    expect(page).toContain('href="#L-checkout-2">(log line 2)</a>');
    // The log numbers command output as the classifier does, and marks the evidence's line.
    expect(page).toMatch(
      /class="line stderr decisive" data-step="checkout" data-n="2" id="L-checkout-2"/,
    );
    expect(page).toContain("Retry helps: no");
    // The timeline: checkout failed after 1.5 s with exit status 128.
    expect(page).toMatch(
      /<td>checkout<\/td>[\s\S]*?failed[\s\S]*?<td>1\.5s<\/td>[\s\S]*?<td>128<\/td>/,
    );
    // No user-controlled markup reaches the page unescaped: ref, repository, log, evidence, hint.
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img");
    expect(page).toContain("main&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain("fatal: &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain("Check the repository &lt;script&gt;");
    expect(page).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(response.headers["content-security-policy"]).toContain("script-src 'self'");
  });

  it("lists deployments filtered by project, status and code", async () => {
    const page = async (query: string) =>
      (await app.inject({ url: `/admin?${query}`, headers: bearer })).body;
    expect(await page("project=xss")).toContain(failedId.slice(0, 8));
    expect(await page("project=xss")).not.toContain(queuedId.slice(0, 8));
    expect(await page("status=queued")).toContain(queuedId.slice(0, 8));
    expect(await page("status=queued")).not.toContain(failedId.slice(0, 8));
    expect(await page("code=CHECKOUT_FAILED")).toContain(failedId.slice(0, 8));
    expect(await page("code=CHECKOUT_FAILED")).not.toContain(queuedId.slice(0, 8));
    expect(await page("status=")).toContain(queuedId.slice(0, 8));
  });

  it("serves the stored log lines after a cursor as JSON for the live view", async () => {
    const url = `/admin/deployments/${failedId}/log`;
    const all = await app.inject({ url, headers: bearer });
    expect(all.json()).toMatchObject({
      status: "failed",
      ended: true,
      cursor: "checkout:1",
      lines: [
        { step: "checkout", seq: 0, stream: "stdout", line: "fetching" },
        { step: "checkout", seq: 1, stream: "stderr", line: `fatal: ${SCRIPT}` },
      ],
    });
    const after = await app.inject({ url: `${url}?cursor=checkout:0`, headers: bearer });
    expect(after.json().lines).toHaveLength(1);
    const bad = await app.inject({ url: `${url}?cursor=x;drop`, headers: bearer });
    expect(bad.statusCode).toBe(400);
  });

  it("answers 404 for an unknown deployment and 400 for a malformed id, with no stack trace", async () => {
    const unknown = await app.inject({
      url: `/admin/deployments/${randomUUID()}`,
      headers: bearer,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain("no deployment");
    const malformed = await app.inject({ url: "/admin/deployments/not-an-id", headers: bearer });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.body).toContain("not a deployment id");
    const badFilter = await app.inject({ url: "/admin?status=exploded", headers: bearer });
    expect(badFilter.statusCode).toBe(400);
    for (const response of [unknown, malformed, badFilter])
      expect(response.body).not.toMatch(/at .*\.js:\d+/);
  });
});

describe("operator API", () => {
  it("GET /api/deployments/:id is the record `deployments show --json` prints", async () => {
    const response = await app.inject({ url: `/api/deployments/${failedId}`, headers: bearer });
    expect(response.statusCode).toBe(200);
    const record = await getDeploymentRecord(stack.db, failedId);
    expect(response.json()).toEqual(publicDeployment(record!));
    expect(response.json()).toMatchObject({
      id: failedId,
      status: "failed",
      errorCode: "CHECKOUT_FAILED",
    });
  });

  it("GET /api/deployments filters like the dashboard", async () => {
    const list = async (query: string) =>
      (await app.inject({ url: `/api/deployments?${query}`, headers: bearer })).json() as {
        id: string;
      }[];
    expect((await list("project=xss")).map((d) => d.id)).toEqual([failedId]);
    expect((await list("status=queued&project=other")).map((d) => d.id)).toEqual([queuedId]);
    expect((await list("code=CHECKOUT_FAILED")).map((d) => d.id)).toEqual([failedId]);
    expect(await list("limit=1")).toHaveLength(1);
  });

  it("answers 400 to bad filters and ids, 404 to unknown ones, as JSON", async () => {
    const cases = [
      ["/api/deployments?status=exploded", 400, /status: expected one of/],
      ["/api/deployments?limit=0", 400, /limit/],
      ["/api/deployments?project=Not_A_Slug", 400, /project/],
      ["/api/deployments/12345", 400, /not a deployment id/],
      [`/api/deployments/${randomUUID()}`, 404, /no deployment/],
    ] as const;
    for (const [url, status, error] of cases) {
      const response = await app.inject({ url, headers: bearer });
      expect([url, response.statusCode]).toEqual([url, status]);
      expect(response.json().error).toMatch(error);
    }
  });
});

describe("retry and cancel", () => {
  async function queued(project: string) {
    const { id } = await createDeployment(stack.db, {
      project,
      repoUrl: "/tmp/nowhere",
      ref: "main",
      trigger: "cli",
      steps: DEPLOY_STEP_NAMES,
    });
    return id;
  }
  const post = (url: string, payload?: Record<string, string>) =>
    app.inject({ method: "POST", url, headers: bearer, ...(payload !== undefined && { payload }) });

  it("POST /api/deployments/:id/cancel cancels a queued deploy, then refuses with 409", async () => {
    const id = await queued("api-cancel");
    const first = await post(`/api/deployments/${id}/cancel`);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ deploymentId: id, outcome: "cancelled" });
    const record = await stack.db.deployment.findUniqueOrThrow({ where: { id } });
    expect(record.status).toBe("cancelled");
    const again = await post(`/api/deployments/${id}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe(`deployment ${id} has already ended (cancelled)`);
  });

  it("POST /api/deployments/:id/retry queues a new deployment linked to the failed one", async () => {
    const response = await post(`/api/deployments/${failedId}/retry`);
    expect(response.statusCode).toBe(201);
    const retry = response.json();
    expect(retry).toMatchObject({ retryOf: failedId, retryNumber: 1, fromStep: "checkout" });
    const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: retry.deploymentId } });
    expect(row).toMatchObject({ status: "queued", retryOfId: failedId, requestedBy: "api" });
    expect(await stack.queue.getJob(retry.deploymentId)).toBeTruthy();
    // Each page links the other.
    const before = await app.inject({ url: `/admin/deployments/${failedId}`, headers: bearer });
    expect(before.body).toContain(
      `href="/admin/deployments/${retry.deploymentId}" class="retried-as"`,
    );
    const after = await app.inject({
      url: `/admin/deployments/${retry.deploymentId}`,
      headers: bearer,
    });
    expect(after.body).toContain(`href="/admin/deployments/${failedId}" id="retry-of"`);
    expect(after.body).toContain("(by api)");
  });

  it("refuses retries and cancels it cannot do: 400, 404, 409, with one line", async () => {
    const running = await queued("api-refusals");
    const cases = [
      [`/api/deployments/${running}/retry`, undefined, 409, /only failed or cancelled/],
      [`/api/deployments/${failedId}/retry`, { from: "nowhere" }, 400, /no step "nowhere"/],
      [`/api/deployments/${failedId}/retry`, { form: "build" }, 400, /body: .*form/],
      [`/api/deployments/${randomUUID()}/retry`, undefined, 404, /no deployment/],
      [`/api/deployments/${randomUUID()}/cancel`, undefined, 404, /no deployment/],
      ["/api/deployments/nope/retry", undefined, 400, /not a deployment id/],
      ["/api/deployments/nope/cancel", undefined, 400, /not a deployment id/],
    ] as const;
    for (const [url, payload, status, error] of cases) {
      const response = await post(url, payload);
      expect([url, response.statusCode]).toEqual([url, status]);
      expect(response.json().error).toMatch(error);
    }
  });

  it("the dashboard's Cancel button cancels through the same function, with the form's CSRF token", async () => {
    const id = await queued("form-cancel");
    const page = await app.inject({ url: `/admin/deployments/${id}`, headers: basic(TOKEN) });
    expect(page.body).toContain('id="cancel"');
    expect(page.body).not.toContain('id="retry"');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const form = (payload: string) =>
      app.inject({
        method: "POST",
        url: `/admin/deployments/${id}/cancel`,
        headers: {
          ...basic(TOKEN),
          origin: "http://localhost",
          "content-type": "application/x-www-form-urlencoded",
        },
        payload,
      });
    expect((await form("csrf=forged")).statusCode).toBe(403);
    expect((await stack.db.deployment.findUniqueOrThrow({ where: { id } })).status).toBe("queued");
    const done = await form(`csrf=${encodeURIComponent(csrf)}`);
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/admin/deployments/${id}?notice=cancelled`);
    expect((await stack.db.deployment.findUniqueOrThrow({ where: { id } })).status).toBe(
      "cancelled",
    );
    const after = await app.inject({ url: done.headers.location as string, headers: basic(TOKEN) });
    expect(after.body).toContain("Cancelled before it started.");
    expect(after.body).toContain('id="retry"');
  });
});

describe("without ADMIN_TOKEN", () => {
  it("serves no dashboard or API (503 saying why), while /healthz and the webhook still answer", async () => {
    const bare = await buildApp({
      db: stack.db,
      queues: stack.queues,
      logger: pino({ level: "silent" }),
      config: loadConfig({ ...stack.env, ADMIN_TOKEN: "" }),
    });
    try {
      for (const url of ["/admin", "/admin/queues", `/api/deployments/${failedId}`]) {
        const response = await bare.inject({ url, headers: bearer });
        expect([url, response.statusCode]).toEqual([url, 503]);
        expect(response.json().error).toMatch(/ADMIN_TOKEN is not set/);
      }
      expect((await bare.inject({ url: "/healthz" })).statusCode).toBe(200);
    } finally {
      await bare.close();
    }
  });
});
