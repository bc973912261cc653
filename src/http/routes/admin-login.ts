import type { FastifyInstance } from "fastify";
import { newSessionCookie, sameSecret, sessionCookieHeader } from "../admin-credentials.js";
import { safeNext } from "../admin-guard.js";
import { loginPage } from "../pages/login-page.js";
import { isSameOrigin } from "../same-origin.js";

/**
 * `GET /admin/login` shows the form; `POST /admin/login` with the right token sets the
 * session cookie (HttpOnly, SameSite=Strict) and goes back where the operator was headed.
 */
export async function adminLoginRoute(app: FastifyInstance, token: string): Promise<void> {
  app.get("/admin/login", async (request, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .send(loginPage({ next: safeNext((request.query as { next?: unknown }).next) })),
  );
  app.post("/admin/login", async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    // A login posted from another site would log the operator's browser into an attacker's choice.
    if (isSameOrigin(request) === false) {
      return reply
        .code(403)
        .type("text/html; charset=utf-8")
        .send(loginPage({ next, error: "cross-site login refused: log in from this page" }));
    }
    if (typeof body.token !== "string" || !sameSecret(body.token, token)) {
      return reply
        .code(401)
        .type("text/html; charset=utf-8")
        .send(loginPage({ next, error: "wrong token" }));
    }
    return reply
      .header(
        "set-cookie",
        sessionCookieHeader(newSessionCookie(token), request.protocol === "https"),
      )
      .redirect(next, 303);
  });
}
