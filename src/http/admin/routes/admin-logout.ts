import type { FastifyInstance } from "fastify";
import type { AdminSessions } from "../../access/admin-sessions.js";
import { sessionCookieHeader } from "../../access/admin-sessions.js";

/**
 * `POST /admin/logout` (CSRF-checked by the guard): revokes the session on the server, so the
 * cookie is refused from now on wherever it was copied, and tells the browser to forget it.
 */
export async function adminLogoutRoute(
  app: FastifyInstance,
  sessions: AdminSessions,
): Promise<void> {
  app.post("/logout", async (request, reply) => {
    const credential = request.adminCredential;
    if (credential?.kind === "cookie") await sessions.revoke(credential.session);
    return reply
      .header("set-cookie", sessionCookieHeader("", request.protocol === "https"))
      .redirect("/admin/login", 303);
  });
}
