import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { errorPage } from "../admin/pages/error-page.js";
import { loginPage } from "../admin/pages/login-page.js";
import {
  type AdminCredential,
  adminCredential,
  csrfToken,
  sendsToken,
} from "./admin-credentials.js";
import { sameSecret } from "./admin-secret.js";
import type { AdminSessions } from "./admin-sessions.js";
import { isSameOrigin } from "./same-origin.js";
import { tooManyWrongTokens, type WrongTokenLimit } from "./wrong-token-limit.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the admin guard on every request it let through. */
    adminCredential: AdminCredential | null;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The ADMIN_TOKEN, the count of wrong ones each address has sent, the login sessions, and
 * whether TRUST_PROXY is set (forwarded host and scheme count only then).
 */
export type AdminGuard = {
  token: string;
  wrongTokens: WrongTokenLimit;
  sessions: AdminSessions;
  trustProxy: boolean;
};

/**
 * Lets through only requests that carry the ADMIN_TOKEN (see adminCredential). Of those, a
 * state-changing request that a browser sends by itself (cookie, basic auth) must come from a
 * page of this server and, once its body is read, carry the session's CSRF token (a form's
 * hidden `csrf` field or an X-CSRF-Token header): every such route of the scope, the day it is
 * registered, with no check of its own to forget.
 */
export function guardAdmin(app: FastifyInstance, guard: AdminGuard, accept: "api" | "dashboard") {
  const { token, wrongTokens, sessions, trustProxy } = guard;
  app.decorateRequest("adminCredential", null);
  app.addHook("onRequest", async (request, reply) => {
    const guessing = sendsToken(request, accept);
    if (guessing) {
      const wait = wrongTokens.retryAfterSeconds(request.ip);
      if (wait > 0) {
        return reply
          .code(429)
          .header("retry-after", String(wait))
          .send({ error: tooManyWrongTokens(wait) });
      }
    }
    const credential = await adminCredential(request, token, accept, sessions);
    if (!credential) {
      if (guessing) wrongTokens.wrongToken(request.ip);
      return refuse(request, reply, accept);
    }
    if (!SAFE_METHODS.has(request.method) && credential.kind !== "bearer") {
      if (isSameOrigin(request, trustProxy) !== true) {
        return reply
          .code(403)
          .send({ error: "cross-site request refused: send it from the dashboard's own page" });
      }
    }
    request.adminCredential = credential;
  });
  if (accept === "api") return;
  app.addHook("preHandler", async (request, reply) => {
    if (SAFE_METHODS.has(request.method) || hasValidCsrf(request, token)) return;
    const csrf = request.adminCredential ? csrfToken(request.adminCredential, token) : undefined;
    return reply
      .code(403)
      .type("text/html; charset=utf-8")
      .send(errorPage(403, "missing or stale CSRF token: reload the page and try again", csrf));
  });
}

/** Whether a dashboard form carried the CSRF token of the session that posted it. */
export function hasValidCsrf(request: FastifyRequest, token: string): boolean {
  const credential = request.adminCredential;
  if (!credential) return false;
  if (credential.kind === "bearer") return true;
  const body = request.body as Record<string, unknown> | undefined;
  const sent = typeof body?.csrf === "string" ? body.csrf : request.headers["x-csrf-token"];
  return typeof sent === "string" && sameSecret(sent, csrfToken(credential, token));
}

function refuse(request: FastifyRequest, reply: FastifyReply, accept: "api" | "dashboard") {
  reply.code(401).header("www-authenticate", 'Bearer realm="coduck-worker"');
  const wantsPage =
    accept === "dashboard" &&
    request.method === "GET" &&
    /text\/html/.test(request.headers.accept ?? "");
  if (wantsPage) {
    return reply.type("text/html; charset=utf-8").send(loginPage({ next: safeNext(request.url) }));
  }
  return reply.send({
    error:
      accept === "api"
        ? "missing or wrong ADMIN_TOKEN: send Authorization: Bearer <ADMIN_TOKEN>"
        : "missing or wrong ADMIN_TOKEN: log in at /admin/login, or send it as a Bearer token or the basic-auth password",
  });
}

/** Where a login may send the browser back to: a dashboard path, never another site. */
export function safeNext(raw: unknown): string {
  return typeof raw === "string" && /^\/admin(?:[/?#]|$)/.test(raw) && !raw.startsWith("//")
    ? raw
    : "/admin";
}
