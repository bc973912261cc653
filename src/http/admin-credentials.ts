import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";

/** How a request proved it holds ADMIN_TOKEN, or null when it did not. */
export type AdminCredential =
  | { kind: "bearer" }
  | { kind: "basic" }
  | { kind: "cookie"; session: string };

export const SESSION_COOKIE = "coduck_admin";
const SESSION_SECONDS = 12 * 3600;

/** Equal strings, in time that depends on neither's content nor length. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The credential a request carries: `Authorization: Bearer <token>`, HTTP basic auth with the
 * token as the password (any user), or a session cookie from the login form. `api` requests
 * take only the Bearer token: it is never sent by a browser on its own, so they need no CSRF
 * check.
 */
export function adminCredential(
  request: FastifyRequest,
  token: string,
  accept: "api" | "dashboard",
): AdminCredential | null {
  const { scheme, value } = authorization(request);
  if (/^bearer$/i.test(scheme)) return sameSecret(value, token) ? { kind: "bearer" } : null;
  if (accept === "api") return null;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon >= 0 && sameSecret(decoded.slice(colon + 1), token) ? { kind: "basic" } : null;
  }
  const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
  const session = cookie ? verifySession(cookie, token) : null;
  return session ? { kind: "cookie", session } : null;
}

/**
 * Whether a request sends a token to check, which is a guess when wrong: Bearer, or on the
 * dashboard the basic-auth password. A session cookie is signed with the token, so not a guess.
 */
export function sendsToken(request: FastifyRequest, accept: "api" | "dashboard"): boolean {
  const { scheme } = authorization(request);
  return /^bearer$/i.test(scheme) || (accept === "dashboard" && /^basic$/i.test(scheme));
}

function authorization(request: FastifyRequest): { scheme: string; value: string } {
  const [scheme = "", value = ""] = (request.headers.authorization ?? "").trim().split(/\s+/, 2);
  return { scheme, value };
}

/** A new session cookie value: `<expires>.<nonce>.<mac>`, signed with the token. */
export function newSessionCookie(token: string, now = Date.now()): string {
  const session = `${Math.floor(now / 1000) + SESSION_SECONDS}.${randomBytes(16).toString("base64url")}`;
  return `${session}.${mac(token, `session:${session}`)}`;
}

export function sessionCookieHeader(value: string, secure: boolean): string {
  const maxAge = value === "" ? 0 : SESSION_SECONDS;
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

/**
 * The CSRF token the dashboard's forms carry: tied to the session (or to basic auth), so only
 * a page the operator was served can hold it. Changing the ADMIN_TOKEN changes every one.
 */
export function csrfToken(credential: AdminCredential, token: string): string {
  return mac(token, `csrf:${credential.kind === "cookie" ? credential.session : credential.kind}`);
}

function verifySession(cookie: string, token: string): string | null {
  const last = cookie.lastIndexOf(".");
  if (last < 0) return null;
  const session = cookie.slice(0, last);
  if (!sameSecret(cookie.slice(last + 1), mac(token, `session:${session}`))) return null;
  const expires = Number(session.split(".")[0]);
  return Number.isFinite(expires) && expires * 1000 > Date.now() ? session : null;
}

function mac(token: string, what: string): string {
  return createHmac("sha256", token).update(what).digest("base64url");
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
