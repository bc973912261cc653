import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { cancelDeployment } from "../../../deploys/cancel-deployment.js";
import { retryDeployment } from "../../../deploys/retry-deployment.js";
import { csrfToken } from "../../access/admin-credentials.js";
import { deploymentIdParam, notADeploymentId } from "../../deployment-id-param.js";
import type { HttpDeps } from "../../http-deps.js";
import { refusalStatus } from "../deployment-actions.js";
import { errorPage } from "../pages/error-page.js";

/**
 * The dashboard's Retry and Cancel buttons: `POST /admin/deployments/:id/retry` (optional
 * `from` step) and `.../cancel`, through the same functions as the CLI. Each form carries the
 * session's CSRF token; the guard has already checked it and the request's Origin.
 */
export async function adminDeploymentActionsRoute(
  app: FastifyInstance,
  deps: HttpDeps,
  token: string,
): Promise<void> {
  app.post("/deployments/:id/retry", async (request, reply) => {
    const id = checked(request, reply, token);
    if (!id) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const from = typeof body.from === "string" && body.from !== "" ? body.from : undefined;
    return act(request, reply, token, async () => {
      const retry = await retryDeployment(deps, {
        deploymentId: id,
        fromStep: from,
        requestedBy: "dashboard",
      });
      return `/admin/deployments/${retry.deploymentId}?notice=retried`;
    });
  });

  app.post("/deployments/:id/cancel", async (request, reply) => {
    const id = checked(request, reply, token);
    if (!id) return reply;
    return act(request, reply, token, async () => {
      const { outcome } = await cancelDeployment(deps, { deploymentId: id });
      return `/admin/deployments/${id}?notice=${outcome}`;
    });
  });
}

/** The deployment id, when it is one; else the reply (400) is sent. */
function checked(request: FastifyRequest, reply: FastifyReply, token: string): string | null {
  const csrf = csrfToken(request.adminCredential!, token);
  reply.type("text/html; charset=utf-8");
  const id = deploymentIdParam(request.params);
  if (!id) void reply.code(400).send(errorPage(400, notADeploymentId(request.params), csrf));
  return id;
}

async function act(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  run: () => Promise<string>,
) {
  try {
    return reply.redirect(await run(), 303);
  } catch (error) {
    const status = refusalStatus(error);
    if (status === null) throw error;
    const csrf = csrfToken(request.adminCredential!, token);
    return reply.code(status).send(errorPage(status, (error as Error).message, csrf));
  }
}
