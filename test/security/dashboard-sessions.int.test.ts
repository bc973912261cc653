import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { loadConfig } from "../../src/config.js";
import { MAX_WRONG_TOKENS } from "../../src/http/access/wrong-token-limit.js";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import {
  claimDeployment,
  createDeployment,
  finishDeployment,
} from "../../src/store/deployments.js";
import { addHost } from "../../src/store/hosts.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// The dashboard's sessions as an attacker meets them: a cookie copied before logout, an expired
// session, forms posted without the session's CSRF token, and forwarded headers that only a
// proxy TRUST_PROXY names may set. Real HTTP (fastify's inject) against the real server and
// the worker's real database.

const TOKEN = "sessions-test-admin-token-0123456789";
const ORIGIN = "http://localhost:80";
const FORM = "application/x-www-form-urlencoded";

let stack: TestStack;
let app: FastifyInstance;
let failedId: string;
let queuedId: string;
let projectId: string;

beforeAll(async () => {
  stack = await createTestStack({ ADMIN_TOKEN: TOKEN });
  app = await buildTestApp(stack, {
    data: { db: stack.db, config: stack.config, keyring: stack.keyring },
  });
  const failed = await createDeployment(stack.db, {
    project: "sessions-failed",
    repoUrl: "/tmp/sessions-failed",
    ref: "main",
    trigger: "cli",
    steps: DEPLOY_STEP_NAMES,
  });
  failedId = failed.id;
  const attempt = (await claimDeployment(stack.db, failedId))!.attempt;
  await finishDeployment(
    stack.db,
    { deploymentId: failedId, attempt },
    { status: "failed", errorCode: "CHECKOUT_FAILED" },
  );
  queuedId = (
    await createDeployment(stack.db, {
      project: "sessions-queued",
      repoUrl: "/tmp/sessions-queued",
      ref: "main",
      trigger: "cli",
      steps: DEPLOY_STEP_NAMES,
    })
  ).id;
  // A project whose database counts as provisioned, so the Data view's Create backup would queue
  // one (on its host, as a deploy would have placed it).
  await addHost(stack.db, stack.config.host);
  const project = await stack.db.project.update({
    where: { slug: "sessions-queued" },
    data: {
      hostId: stack.config.host.id,
      database: {
        create: {
          databaseName: "sessions_queued_db",
          roleName: "sessions_queued_role",
          passwordEncrypted: "unused",
          keyVersion: 1,
          provisionedAt: new Date(),
        },
      },
    },
  });
  projectId = project.id;
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

/** Logs in through the form; returns the cookie and the CSRF token of the page it then opens. */
async function login(server = app, headers: Record<string, string> = {}) {
  const response = await server.inject({
    method: "POST",
    url: "/admin/login",
    headers: { "content-type": FORM, origin: ORIGIN, ...headers },
    payload: `token=${TOKEN}`,
  });
  expect(response.statusCode).toBe(303);
  const setCookie = String(response.headers["set-cookie"]);
  const cookie = setCookie.split(";")[0]!;
  const page = await server.inject({ url: "/admin", headers: { cookie, ...headers } });
  expect(page.statusCode).toBe(200);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  return { cookie, csrf, setCookie };
}

function post(url: string, cookie: string, payload: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: "POST",
    url,
    headers: { cookie, "content-type": FORM, origin: ORIGIN, ...headers },
    payload,
  });
}

/** What the dashboard's POSTs could change: deployments, their statuses, backups. */
async function snapshot() {
  const deployments = await stack.db.deployment.findMany({
    select: { id: true, status: true },
    orderBy: { id: "asc" },
  });
  const backups = await stack.db.backup.count({ where: { projectId } });
  return { deployments, backups };
}

const sessionRow = (cookie: string) => {
  const secret = cookie.slice(cookie.indexOf("=") + 1, cookie.lastIndexOf("."));
  return createHash("sha256").update(secret).digest("hex");
};

describe("logout", () => {
  it("revokes the session on the server: a cookie copied before logout is refused after it", async () => {
    const { cookie, csrf } = await login();
    const copied = cookie;
    expect((await app.inject({ url: "/admin", headers: { cookie: copied } })).statusCode).toBe(200);

    const logout = await post("/admin/logout", cookie, `csrf=${encodeURIComponent(csrf)}`);
    expect(logout.statusCode).toBe(303);
    expect(String(logout.headers["set-cookie"])).toContain("Max-Age=0");

    // The browser forgot it; an attacker who copied it still sends it.
    const before = await snapshot();
    const page = await app.inject({ url: "/admin", headers: { cookie: copied } });
    expect(page.statusCode).toBe(401);
    const retry = await post(`/admin/deployments/${failedId}/retry`, copied, `csrf=${csrf}`);
    expect(retry.statusCode).toBe(401);
    const log = await app.inject({
      url: `/admin/deployments/${failedId}/log`,
      headers: { cookie },
    });
    expect(log.statusCode).toBe(401);
    expect(await snapshot()).toEqual(before);

    const row = await stack.db.adminSession.findUniqueOrThrow({
      where: { id: sessionRow(cookie) },
    });
    expect(row.revokedAt).not.toBeNull();
    // The table holds the secret's hash, never the cookie.
    expect(row.id).not.toContain(cookie.split("=")[1]!.split(".")[0]!);
  });

  it("ends only the session that logged out", async () => {
    const a = await login();
    const b = await login();
    expect((await post("/admin/logout", a.cookie, `csrf=${a.csrf}`)).statusCode).toBe(303);
    expect((await app.inject({ url: "/admin", headers: { cookie: a.cookie } })).statusCode).toBe(
      401,
    );
    expect((await app.inject({ url: "/admin", headers: { cookie: b.cookie } })).statusCode).toBe(
      200,
    );
  });
});

describe("expiry", () => {
  it("refuses a session once its expiry in the database has passed, whatever the cookie says", async () => {
    const { cookie, csrf, setCookie } = await login();
    expect(setCookie).toMatch(/Max-Age=43200;/);
    const row = await stack.db.adminSession.findUniqueOrThrow({
      where: { id: sessionRow(cookie) },
    });
    const hours = (row.expiresAt.getTime() - row.createdAt.getTime()) / 3_600_000;
    expect(hours).toBeCloseTo(12, 1);

    await stack.db.adminSession.update({
      where: { id: row.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const before = await snapshot();
    expect((await app.inject({ url: "/admin", headers: { cookie } })).statusCode).toBe(401);
    const cancel = await post(`/admin/deployments/${queuedId}/cancel`, cookie, `csrf=${csrf}`);
    expect(cancel.statusCode).toBe(401);
    expect(await snapshot()).toEqual(before);

    // The next login forgets sessions that can never count again.
    await login();
    expect(await stack.db.adminSession.count({ where: { id: row.id } })).toBe(0);
  });

  it("refuses a signed cookie whose session the database no longer holds", async () => {
    const { cookie } = await login();
    await stack.db.adminSession.delete({ where: { id: sessionRow(cookie) } });
    expect((await app.inject({ url: "/admin", headers: { cookie } })).statusCode).toBe(401);
  });
});

describe("CSRF", () => {
  it("refuses Retry, Cancel and Create backup without the session's token, with another session's, or a wrong one, and changes nothing", async () => {
    const mine = await login();
    const other = await login();
    const actions = [
      `/admin/deployments/${failedId}/retry`,
      `/admin/deployments/${queuedId}/cancel`,
      "/admin/projects/sessions-queued/backups",
    ];
    const before = await snapshot();
    const refused: string[] = [];
    for (const url of actions) {
      const tries: [string, string, Record<string, string>][] = [
        ["none", "", {}],
        ["empty", "csrf=", {}],
        ["another session's", `csrf=${encodeURIComponent(other.csrf)}`, {}],
        ["wrong", `csrf=${"A".repeat(43)}`, {}],
        ["another session's, as a header", "", { "x-csrf-token": other.csrf }],
      ];
      for (const [what, payload, headers] of tries) {
        const response = await post(url, mine.cookie, payload, headers);
        if (response.statusCode !== 403) refused.push(`${url} ${what}: ${response.statusCode}`);
        else expect(response.body).toContain("CSRF token");
      }
    }
    expect(refused).toEqual([]);
    expect(await snapshot()).toEqual(before);

    // The session's own token goes through: the refusals above were the token's doing.
    const token = `csrf=${encodeURIComponent(mine.csrf)}`;
    expect((await post(actions[0]!, mine.cookie, token)).statusCode).toBe(303);
    expect((await post(actions[1]!, mine.cookie, token)).statusCode).toBe(303);
    expect((await post(actions[2]!, mine.cookie, token)).statusCode).toBe(303);
    const after = await snapshot();
    expect(after.deployments.length).toBe(before.deployments.length + 1);
    expect(after.deployments.find((d) => d.id === queuedId)!.status).not.toBe("queued");
    expect(after.backups).toBe(before.backups + 1);
  });

  it("checks the token on every state-changing dashboard route, Bull Board's included", async () => {
    const { cookie } = await login();
    const urls = [
      "/admin/logout",
      `/admin/deployments/${failedId}/retry`,
      `/admin/deployments/${queuedId}/cancel`,
      "/admin/projects/sessions-queued/backups",
      "/admin/no-such-route",
    ];
    for (const url of urls) {
      const response = await post(url, cookie, "");
      expect([url, response.statusCode]).toEqual([url, 403]);
    }
    for (const method of ["PUT", "POST", "DELETE"] as const) {
      const response = await app.inject({
        method,
        url: "/admin/queues/api/queues/pause",
        headers: { cookie, origin: ORIGIN },
      });
      expect([method, response.statusCode]).toEqual([method, 403]);
    }
    // The session survived all of it.
    expect((await app.inject({ url: "/admin", headers: { cookie } })).statusCode).toBe(200);
  });

  it("never lets a session cookie act on the JSON API, token or not", async () => {
    const { cookie, csrf } = await login();
    const before = await snapshot();
    for (const url of [
      `/api/deployments/${failedId}/retry`,
      `/api/deployments/${queuedId}/cancel`,
    ]) {
      const response = await app.inject({
        method: "POST",
        url,
        headers: {
          cookie,
          origin: ORIGIN,
          "x-csrf-token": csrf,
          "content-type": "application/json",
        },
        payload: "{}",
      });
      expect([url, response.statusCode]).toEqual([url, 401]);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe("TRUST_PROXY", () => {
  async function appWith(env: Record<string, string>) {
    return buildTestApp(stack, { config: loadConfig({ ...stack.env, ...env }) });
  }
  const proxied = {
    "x-forwarded-proto": "https",
    "x-forwarded-host": "coduck.example",
    origin: "https://coduck.example",
  };

  it("sets Secure and takes the forwarded host and scheme from a proxy it names", async () => {
    const server = await appWith({ TRUST_PROXY: "127.0.0.1" });
    try {
      const { cookie, csrf, setCookie } = await login(server, proxied);
      expect(setCookie).toMatch(/; Secure$/);
      // The forwarded scheme must match the page's: an http:// page of the same host is refused.
      const plain = await server.inject({
        method: "POST",
        url: "/admin/logout",
        headers: { cookie, "content-type": FORM, ...proxied, origin: "http://coduck.example" },
        payload: `csrf=${csrf}`,
      });
      expect(plain.statusCode).toBe(403);
      const logout = await server.inject({
        method: "POST",
        url: "/admin/logout",
        headers: { cookie, "content-type": FORM, ...proxied },
        payload: `csrf=${csrf}`,
      });
      expect(logout.statusCode).toBe(303);
      expect(String(logout.headers["set-cookie"])).toMatch(/Max-Age=0; .*; Secure$/);

      // The same headers from an address it does not name count for nothing.
      const direct = await server.inject({
        method: "POST",
        url: "/admin/login",
        headers: { "content-type": FORM, ...proxied },
        payload: `token=${TOKEN}`,
        remoteAddress: "192.0.2.77",
      });
      expect(direct.statusCode).toBe(403);
      expect(direct.headers["set-cookie"]).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it("with a hop count, trusts whatever connects as the proxy", async () => {
    const server = await appWith({ TRUST_PROXY: "1" });
    try {
      const { setCookie } = await login(server, { ...proxied });
      expect(setCookie).toMatch(/; Secure$/);
    } finally {
      await server.close();
    }
  });

  it("without it, a forged X-Forwarded-Proto or -Host changes nothing", async () => {
    // Secure is not set, and the login still counts as this server's own page.
    const forged = { "x-forwarded-proto": "https", "x-forwarded-host": "evil.example" };
    const { cookie, csrf, setCookie } = await login(app, forged);
    expect(setCookie).not.toContain("Secure");
    // A cross-site page that names itself in X-Forwarded-Host is still cross-site.
    const before = await snapshot();
    const crossSite = await post(`/admin/deployments/${failedId}/retry`, cookie, `csrf=${csrf}`, {
      ...forged,
      origin: "https://evil.example",
    });
    expect(crossSite.statusCode).toBe(403);
    const login2 = await app.inject({
      method: "POST",
      url: "/admin/login",
      headers: { "content-type": FORM, ...forged, origin: "https://evil.example" },
      payload: `token=${TOKEN}`,
    });
    expect(login2.statusCode).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it("counts wrong tokens per client behind a named proxy, and a forged X-Forwarded-For nowhere else", async () => {
    const wrongLogin = (server: FastifyInstance, headers: Record<string, string>, remote: string) =>
      server.inject({
        method: "POST",
        url: "/admin/login",
        headers: { "content-type": FORM, origin: ORIGIN, ...headers },
        payload: "token=not-the-admin-token-0123456789",
        remoteAddress: remote,
      });
    const server = await appWith({ TRUST_PROXY: "127.0.0.1" });
    try {
      // Through the proxy, one client's guesses hold back that client only.
      for (let i = 0; i < MAX_WRONG_TOKENS; i++)
        expect(
          (await wrongLogin(server, { "x-forwarded-for": "198.51.100.1" }, "127.0.0.1")).statusCode,
        ).toBe(401);
      expect(
        (await wrongLogin(server, { "x-forwarded-for": "198.51.100.1" }, "127.0.0.1")).statusCode,
      ).toBe(429);
      await login(server, { "x-forwarded-for": "198.51.100.2" });
    } finally {
      await server.close();
    }
    // Without TRUST_PROXY, a client that names a new address in each request is still one address.
    for (let i = 0; i < MAX_WRONG_TOKENS; i++)
      expect(
        (await wrongLogin(app, { "x-forwarded-for": `198.51.100.${i + 10}` }, "192.0.2.50"))
          .statusCode,
      ).toBe(401);
    expect(
      (await wrongLogin(app, { "x-forwarded-for": "198.51.100.99" }, "192.0.2.50")).statusCode,
    ).toBe(429);
  });

  it("refuses a setting fastify would misread, naming the variable", () => {
    expect(
      loadConfig({ ...stack.env, TRUST_PROXY: "10.0.0.0/8, loopback" }).http.trustProxy,
    ).toEqual(["10.0.0.0/8", "loopback"]);
    expect(loadConfig({ ...stack.env, TRUST_PROXY: "0" }).http.trustProxy).toBe(false);
    expect(loadConfig({ ...stack.env }).http.trustProxy).toBe(false);
    for (const bad of ["true", "10.0.0.0/33", "proxy.example", "1.2.3.4/8/8"])
      expect(() => loadConfig({ ...stack.env, TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
  });
});
