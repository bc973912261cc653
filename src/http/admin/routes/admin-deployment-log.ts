import type { FastifyInstance } from "fastify";
import { getDeploymentRecord } from "../../../store/deployment-record.js";
import { isActiveStatus } from "../../../store/deployment-statuses.js";
import { advanceCursor, readDeploymentLogs } from "../../../store/read-deployment-logs.js";
import { deploymentIdParam, notADeploymentId } from "../../deployment-id-param.js";
import type { HttpDeps } from "../../http-deps.js";
import { decodeCursor, encodeCursor } from "../pages/log-view.js";

const PAGE_LINES = 1000;

/**
 * `GET /admin/deployments/:id/log?cursor=step:seq,…&attempt=N`: the stored lines after the
 * cursor, what the live log reads while the deploy runs. A new attempt (the deploy runs again
 * from the start) answers `reset` and the new attempt's lines from the beginning.
 */
export async function adminDeploymentLogRoute(app: FastifyInstance, deps: HttpDeps) {
  app.get("/deployments/:id/log", async (request, reply) => {
    const id = deploymentIdParam(request.params);
    if (!id) return reply.code(400).send({ error: notADeploymentId(request.params) });
    const query = request.query as { cursor?: unknown; attempt?: unknown };
    const cursor = decodeCursor(typeof query.cursor === "string" ? query.cursor : "");
    if (!cursor) return reply.code(400).send({ error: "cursor: expected step:seq,step:seq" });
    // The status is read before the lines: once it says ended, every line is stored.
    const deployment = await getDeploymentRecord(deps.db, id);
    if (!deployment) return reply.code(404).send({ error: `no deployment ${id}` });
    const reset =
      query.attempt !== undefined && String(query.attempt) !== String(deployment.attempt);
    const from = reset ? {} : cursor;
    const lines = await readDeploymentLogs(deps.db, id, {
      cursor: from,
      limit: PAGE_LINES,
      ...(reset && deployment.startedAt && { since: new Date(deployment.startedAt) }),
    });
    return reply.send({
      status: deployment.status,
      attempt: deployment.attempt,
      ended: !isActiveStatus(deployment.status),
      reset,
      more: lines.length === PAGE_LINES,
      cursor: encodeCursor(advanceCursor(from, lines)),
      steps: deployment.steps.map((s) => ({ name: s.name, status: s.status })),
      lines: lines.map(({ step, seq, stream, line }) => ({ step, seq, stream, line })),
    });
  });
}
