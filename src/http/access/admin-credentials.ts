import type { FastifyRequest } from "fastify";
import { mac, sameSecret } from "./admin-secret.js";
import { type AdminSessions, SESSION_COOKIE } from "./admin-sessions.js";

/** How a request proved it holds ADMIN_TOKEN, or null when it did not. */
export type AdminCredential =
  | { kind: "bearer" }
  | { kind: "basic" }
  | { kind: "cookie"; session: string };

/**
 * The credential a request carries: `Authorization: Bearer <token>`, HTTP basic auth with the
 * token as the password (any user), or the cookie of a live session from the login form.
 * `api` requests take only the Bearer token: it is never sent by a browser on its own, so they
 * need no CSRF check (and a session cookie is not even looked at).
 */
export async function adminCredential(
  request: FastifyRequest,
  token: string,
  accept: "api" | "dashboard",
  sessions: AdminSessions,
): Promise<AdminCredential | null> {
  const { scheme, value } = authorization(request);
  if (/^bearer$/i.test(scheme)) return sameSecret(value, token) ? { kind: "bearer" } : null;
  if (accept === "api") return null;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon >= 0 && sameSecret(decoded.slice(colon + 1), token) ? { kind: "basic" } : null;
  }
  const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
  const session = cookie ? await sessions.find(cookie) : null;
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

/**
 * The CSRF token the dashboard's forms carry: tied to the session (or to basic auth), so only
 * a page the operator was served can hold it, and it dies with its session. Changing the
 * ADMIN_TOKEN changes every one.
 */
export function csrfToken(credential: AdminCredential, token: string): string {
  return mac(token, `csrf:${credential.kind === "cookie" ? credential.session : credential.kind}`);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
