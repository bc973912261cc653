import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  type AdminCredential,
  adminCredential,
  csrfToken,
  sameSecret,
  sendsToken,
} from "./admin-credentials.js";
import { loginPage } from "./pages/login-page.js";
import { isSameOrigin } from "./same-origin.js";
import { tooManyWrongTokens, type WrongTokenLimit } from "./wrong-token-limit.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the admin guard on every request it let through. */
    adminCredential: AdminCredential | null;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The ADMIN_TOKEN, and the count of wrong ones each address has sent. */
export type AdminGuard = { token: string; wrongTokens: WrongTokenLimit };

/**
 * Lets through only requests that carry the ADMIN_TOKEN (see adminCredential). Of those, a
 * state-changing request that a browser sends by itself (cookie, basic auth) must come from a
 * page of this server; the dashboard's own forms also check their CSRF token (checkCsrf).
 */
export function guardAdmin(app: FastifyInstance, guard: AdminGuard, accept: "api" | "dashboard") {
  const { token, wrongTokens } = guard;
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
    const credential = adminCredential(request, token, accept);
    if (!credential) {
      if (guessing) wrongTokens.wrongToken(request.ip);
      return refuse(request, reply, accept);
    }
    if (!SAFE_METHODS.has(request.method) && credential.kind !== "bearer") {
      if (isSameOrigin(request) !== true) {
        return reply
          .code(403)
          .send({ error: "cross-site request refused: send it from the dashboard's own page" });
      }
    }
    request.adminCredential = credential;
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
