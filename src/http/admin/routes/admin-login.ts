import type { FastifyInstance } from "fastify";
import { type AdminGuard, safeNext } from "../../access/admin-guard.js";
import { sameSecret } from "../../access/admin-secret.js";
import { sessionCookieHeader } from "../../access/admin-sessions.js";
import { isSameOrigin } from "../../access/same-origin.js";
import { tooManyWrongTokens } from "../../access/wrong-token-limit.js";
import { loginPage } from "../pages/login-page.js";

/**
 * `GET /admin/login` shows the form; `POST /admin/login` with the right token records a new
 * session and sets its cookie (HttpOnly, SameSite=Strict, Secure when the browser spoke HTTPS
 * to us or to a proxy TRUST_PROXY trusts) and goes back where the operator was headed. An
 * address that sent too many wrong tokens is refused (429) until its window ends.
 */
export async function adminLoginRoute(app: FastifyInstance, guard: AdminGuard): Promise<void> {
  const { token, wrongTokens, sessions, trustProxy } = guard;
  app.get("/admin/login", async (request, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .send(loginPage({ next: safeNext((request.query as { next?: unknown }).next) })),
  );
  app.post("/admin/login", async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    // A login posted from another site would log the operator's browser into an attacker's choice.
    if (isSameOrigin(request, trustProxy) === false) {
      return reply
        .code(403)
        .type("text/html; charset=utf-8")
        .send(loginPage({ next, error: "cross-site login refused: log in from this page" }));
    }
    const wait = wrongTokens.retryAfterSeconds(request.ip);
    if (wait > 0) {
      return reply
        .code(429)
        .header("retry-after", String(wait))
        .type("text/html; charset=utf-8")
        .send(loginPage({ next, error: tooManyWrongTokens(wait) }));
    }
    if (typeof body.token !== "string" || !sameSecret(body.token, token)) {
      wrongTokens.wrongToken(request.ip);
      return reply
        .code(401)
        .type("text/html; charset=utf-8")
        .send(loginPage({ next, error: "wrong token" }));
    }
    const cookie = await sessions.open();
    return reply
      .header("set-cookie", sessionCookieHeader(cookie, request.protocol === "https"))
      .redirect(next, 303);
  });
}
