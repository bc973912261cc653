import type { FastifyRequest } from "fastify";
import { adminCredential, csrfToken } from "../../src/http/access/admin-credentials.js";
import {
  type AdminSessions,
  adminSessions,
  SESSION_COOKIE,
} from "../../src/http/access/admin-sessions.js";
import type { Db } from "../../src/store/prisma.js";

// Sessions against the real database: test/security/dashboard-sessions.int.test.ts.

const TOKEN = "credentials-test-token-0123456789";

function withHeaders(headers: Record<string, string>): FastifyRequest {
  return { headers } as unknown as FastifyRequest;
}

const cookie = (value: string) => withHeaders({ cookie: `other=1; ${SESSION_COOKIE}=${value}` });

/** Sessions that must not be asked: the credential is decided before any lookup. */
const unasked: AdminSessions = {
  open: () => Promise.reject(new Error("asked to open a session")),
  find: () => Promise.reject(new Error("asked to find a session")),
  revoke: () => Promise.reject(new Error("asked to revoke a session")),
};

describe("admin credentials", () => {
  it("never takes a cookie or basic auth for the API, and never looks the cookie up", async () => {
    const basic = `Basic ${Buffer.from(`ops:${TOKEN}`).toString("base64")}`;
    const api = (request: FastifyRequest) => adminCredential(request, TOKEN, "api", unasked);
    expect(await api(withHeaders({ authorization: basic }))).toBeNull();
    expect(await api(cookie("anything.at-all"))).toBeNull();
    expect(await api(withHeaders({ authorization: `Bearer ${TOKEN}` }))).toEqual({
      kind: "bearer",
    });
  });

  it("takes basic auth with the token as the password, any user name", async () => {
    const basic = (password: string) =>
      withHeaders({
        authorization: `Basic ${Buffer.from(`anyone:${password}`).toString("base64")}`,
      });
    const dashboard = (request: FastifyRequest) =>
      adminCredential(request, TOKEN, "dashboard", unasked);
    expect(await dashboard(basic(TOKEN))).toEqual({ kind: "basic" });
    expect(await dashboard(basic("not-the-token"))).toBeNull();
  });

  it("refuses a cookie not signed with the token before asking the database", async () => {
    // No database at all: a lookup would throw.
    const sessions = adminSessions({} as Db, TOKEN);
    expect(await sessions.find("c2VjcmV0.forged-mac")).toBeNull();
    expect(await sessions.find("no-dot")).toBeNull();
    expect(await adminCredential(cookie("abc.def"), TOKEN, "dashboard", sessions)).toBeNull();
  });

  it("gives each session its own CSRF token, which changes with the ADMIN_TOKEN", () => {
    const a = { kind: "cookie", session: "session-a" } as const;
    const b = { kind: "cookie", session: "session-b" } as const;
    expect(csrfToken(a, TOKEN)).not.toBe(csrfToken(b, TOKEN));
    expect(csrfToken(a, TOKEN)).toBe(csrfToken(a, TOKEN));
    expect(csrfToken(a, "another-token-0123456789abcdef")).not.toBe(csrfToken(a, TOKEN));
  });
});
