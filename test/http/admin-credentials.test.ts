import type { FastifyRequest } from "fastify";
import {
  adminCredential,
  csrfToken,
  newSessionCookie,
  SESSION_COOKIE,
} from "../../src/http/admin-credentials.js";

const TOKEN = "credentials-test-token-0123456789";

function withHeaders(headers: Record<string, string>): FastifyRequest {
  return { headers } as unknown as FastifyRequest;
}

const cookie = (value: string) => withHeaders({ cookie: `other=1; ${SESSION_COOKIE}=${value}` });

describe("admin credentials", () => {
  it("takes a session cookie signed with the token until it expires", () => {
    const fresh = newSessionCookie(TOKEN);
    expect(adminCredential(cookie(fresh), TOKEN, "dashboard")).toMatchObject({ kind: "cookie" });
    const old = newSessionCookie(TOKEN, Date.now() - 13 * 3600 * 1000);
    expect(adminCredential(cookie(old), TOKEN, "dashboard")).toBeNull();
  });

  it("refuses a cookie signed with another token, or with its expiry moved", () => {
    const other = newSessionCookie("another-token-0123456789abcdef");
    expect(adminCredential(cookie(other), TOKEN, "dashboard")).toBeNull();
    const [expires, nonce, mac] = newSessionCookie(TOKEN, Date.now() - 13 * 3600 * 1000).split(".");
    const extended = `${Number(expires) + 86_400}.${nonce}.${mac}`;
    expect(adminCredential(cookie(extended), TOKEN, "dashboard")).toBeNull();
  });

  it("never takes a cookie or basic auth for the API", () => {
    const basic = `Basic ${Buffer.from(`ops:${TOKEN}`).toString("base64")}`;
    expect(adminCredential(withHeaders({ authorization: basic }), TOKEN, "api")).toBeNull();
    expect(adminCredential(cookie(newSessionCookie(TOKEN)), TOKEN, "api")).toBeNull();
    expect(
      adminCredential(withHeaders({ authorization: `Bearer ${TOKEN}` }), TOKEN, "api"),
    ).toEqual({ kind: "bearer" });
  });

  it("gives each session its own CSRF token", () => {
    const a = adminCredential(cookie(newSessionCookie(TOKEN)), TOKEN, "dashboard")!;
    const b = adminCredential(cookie(newSessionCookie(TOKEN)), TOKEN, "dashboard")!;
    expect(csrfToken(a, TOKEN)).not.toBe(csrfToken(b, TOKEN));
    expect(csrfToken(a, TOKEN)).toBe(csrfToken(a, TOKEN));
    expect(csrfToken(a, "another-token-0123456789abcdef")).not.toBe(csrfToken(a, TOKEN));
  });
});
