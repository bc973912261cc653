import type { FastifyInstance } from "fastify";
import { publicDeployment } from "../../deploys/public-deployment.js";
import { getDeploymentRecord, listDeploymentRecords } from "../../store/deployment-record.js";
import { parseDeploymentFilter } from "../deployment-filter.js";
import { deploymentIdParam, notADeploymentId } from "../deployment-id-param.js";
import type { HttpDeps } from "../http-deps.js";

/**
 * `GET /api/deployments?project=&status=&code=&limit=` (newest first) and
 * `GET /api/deployments/:id`: the records `deployments list --json` and `deployments show
 * --json` print.
 */
export async function apiDeploymentsRoute(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.get("/deployments", async (request, reply) => {
    const parsed = parseDeploymentFilter(request.query);
    if ("error" in parsed) return reply.code(400).send({ error: parsed.error });
    const { project, status, code, limit } = parsed.filter;
    const records = await listDeploymentRecords(deps.db, {
      project,
      status,
      errorCode: code,
      limit,
    });
    return records.map(publicDeployment);
  });

  app.get("/deployments/:id", async (request, reply) => {
    const id = deploymentIdParam(request.params);
    if (!id) return reply.code(400).send({ error: notADeploymentId(request.params) });
    const record = await getDeploymentRecord(deps.db, id);
    if (!record) return reply.code(404).send({ error: `no deployment ${id}` });
    return publicDeployment(record);
  });
}
