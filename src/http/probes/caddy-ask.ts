import type { FastifyInstance } from "fastify";
import { slugOfHost } from "../../router/ask-allows.js";

/** What the ask endpoint needs: the apps domain and whether a project slug is registered. */
export type CaddyAskDeps = {
  appsDomain: string;
  projectExists(slug: string): Promise<boolean>;
};

/**
 * `GET /caddy/ask?domain=<host>`: Caddy's on-demand TLS asks before getting a certificate;
 * 200 only for `<registered slug>.<appsDomain>`, else 404 (askAllows' rule, with the registry
 * asked only for a host that is well formed).
 */
export async function caddyAskRoute(app: FastifyInstance, deps: CaddyAskDeps): Promise<void> {
  app.get("/caddy/ask", async (request, reply) => {
    const { domain } = request.query as { domain?: unknown };
    const slug = typeof domain === "string" ? slugOfHost(domain, deps.appsDomain) : undefined;
    const allowed = slug !== undefined && (await deps.projectExists(slug));
    return reply.code(allowed ? 200 : 404).send(allowed ? "ok\n" : "not a registered app\n");
  });
}
