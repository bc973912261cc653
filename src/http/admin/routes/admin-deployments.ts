import type { FastifyInstance } from "fastify";
import { listDeploymentRecords } from "../../../store/deployment-record.js";
import { listHosts } from "../../../store/hosts.js";
import { csrfToken } from "../../access/admin-credentials.js";
import { parseDeploymentFilter } from "../../deployment-filter.js";
import type { HttpDeps } from "../../http-deps.js";
import { deploymentsPage } from "../pages/deployments-page.js";

/** `GET /admin`: deployments newest first, filtered by `project`, `status`, `code`, `limit`. */
export async function adminDeploymentsRoute(
  app: FastifyInstance,
  deps: HttpDeps,
  token: string,
): Promise<void> {
  app.get("/", async (request, reply) => {
    const csrf = csrfToken(request.adminCredential!, token);
    const parsed = parseDeploymentFilter(request.query);
    reply.type("text/html; charset=utf-8");
    if ("error" in parsed) {
      const query = request.query as Record<string, string>;
      return reply
        .code(400)
        .send(deploymentsPage({ deployments: [], filter: query, csrf, error: parsed.error }));
    }
    const { project, status, code, limit } = parsed.filter;
    const deployments = await listDeploymentRecords(deps.db, {
      project,
      status,
      errorCode: code,
      limit,
    });
    // Where each ran (or waits), and the hosts' states: a deploy waiting for a host that is down
    // says so here too.
    const [placed, hosts] = await Promise.all([
      deps.db.deployment.findMany({
        where: { id: { in: deployments.map((d) => d.id) } },
        select: { id: true, hostId: true },
      }),
      listHosts(deps.db, deps.config.host.downAfterMs),
    ]);
    const hostOf = Object.fromEntries(placed.map((d) => [d.id, d.hostId]));
    return reply.send(deploymentsPage({ deployments, filter: parsed.filter, csrf, hosts, hostOf }));
  });
}
