import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { cancelDeployment } from "../../deploys/cancel-deployment.js";
import { retryDeployment } from "../../deploys/retry-deployment.js";
import { refusalStatus } from "../admin/deployment-actions.js";
import { deploymentIdParam, notADeploymentId } from "../deployment-id-param.js";
import type { HttpDeps } from "../http-deps.js";

const retryBody = z
  .strictObject({
    from: z.string().min(1).max(32).optional(),
    requestedBy: z.string().min(1).max(100).optional(),
  })
  .optional();

/**
 * `POST /api/deployments/:id/retry` (optional `{from, requestedBy}`) answers 201 with the new
 * deployment; `POST /api/deployments/:id/cancel` answers 200 with `{deploymentId, outcome}`.
 * Both go through the CLI's functions; a refusal is 400, 404 or 409 with `{error}`.
 */
export async function apiDeploymentActionsRoute(
  app: FastifyInstance,
  deps: HttpDeps,
): Promise<void> {
  app.post("/deployments/:id/retry", async (request, reply) => {
    const id = deploymentIdParam(request.params);
    if (!id) return reply.code(400).send({ error: notADeploymentId(request.params) });
    const body = retryBody.safeParse(request.body ?? undefined);
    if (!body.success) {
      return reply.code(400).send({
        error: `body: ${body.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ")}`,
      });
    }
    return refusable(reply, async () => {
      const retry = await retryDeployment(deps, {
        deploymentId: id,
        fromStep: body.data?.from,
        requestedBy: body.data?.requestedBy ?? "api",
      });
      return reply.code(201).send(retry);
    });
  });

  app.post("/deployments/:id/cancel", async (request, reply) => {
    const id = deploymentIdParam(request.params);
    if (!id) return reply.code(400).send({ error: notADeploymentId(request.params) });
    return refusable(reply, async () =>
      reply.send(await cancelDeployment(deps, { deploymentId: id })),
    );
  });
}

async function refusable(reply: FastifyReply, run: () => Promise<FastifyReply>) {
  try {
    return await run();
  } catch (error) {
    const status = refusalStatus(error);
    if (status === null) throw error;
    return reply.code(status).send({ error: (error as Error).message });
  }
}
