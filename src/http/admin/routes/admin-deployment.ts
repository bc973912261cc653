import type { FastifyInstance } from "fastify";
import { readDeploymentLineage } from "../../../store/deployment-lineage.js";
import { getDeploymentRecord } from "../../../store/deployment-record.js";
import { advanceCursor, readDeploymentLogs } from "../../../store/read-deployment-logs.js";
import { csrfToken } from "../../access/admin-credentials.js";
import { deploymentIdParam, notADeploymentId } from "../../deployment-id-param.js";
import type { HttpDeps } from "../../http-deps.js";
import { ACTION_NOTICES, type ActionNotice, availableActions } from "../deployment-actions.js";
import { deploymentPage } from "../pages/deployment-page.js";
import { errorPage } from "../pages/error-page.js";

/** Lines the page carries itself; its script reads the rest. */
const FIRST_LINES = 1000;

/** `GET /admin/deployments/:id`: one deployment, its steps, its failure and its log. */
export async function adminDeploymentRoute(
  app: FastifyInstance,
  deps: HttpDeps,
  token: string,
): Promise<void> {
  app.get("/deployments/:id", async (request, reply) => {
    const csrf = csrfToken(request.adminCredential!, token);
    reply.type("text/html; charset=utf-8");
    const id = deploymentIdParam(request.params);
    if (!id) return reply.code(400).send(errorPage(400, notADeploymentId(request.params), csrf));
    const deployment = await getDeploymentRecord(deps.db, id);
    if (!deployment) return reply.code(404).send(errorPage(404, `no deployment ${id}`, csrf));
    const lines = await readDeploymentLogs(deps.db, id, { limit: FIRST_LINES });
    const lineage = await readDeploymentLineage(deps.db, id);
    const notice = (request.query as { notice?: unknown }).notice;
    return reply.send(
      deploymentPage({
        deployment,
        lines,
        cursor: advanceCursor({}, lines),
        csrf,
        actions: availableActions(deployment),
        lineage,
        notice:
          typeof notice === "string" && Object.hasOwn(ACTION_NOTICES, notice)
            ? ACTION_NOTICES[notice as ActionNotice]
            : undefined,
      }),
    );
  });
}
