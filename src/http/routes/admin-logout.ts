import type { FastifyInstance } from "fastify";
import { sessionCookieHeader } from "../admin-credentials.js";
import { hasValidCsrf } from "../admin-guard.js";

/** `POST /admin/logout`: forgets the session cookie. */
export async function adminLogoutRoute(app: FastifyInstance, token: string): Promise<void> {
  app.post("/logout", async (request, reply) => {
    if (!hasValidCsrf(request, token))
      return reply.code(403).send({ error: "missing or stale CSRF token: reload the page" });
    return reply
      .header("set-cookie", sessionCookieHeader("", request.protocol === "https"))
      .redirect("/admin/login", 303);
  });
}
