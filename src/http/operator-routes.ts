import type { FastifyError, FastifyInstance } from "fastify";
import { csrfToken } from "./access/admin-credentials.js";
import { guardAdmin } from "./access/admin-guard.js";
import { adminSessions } from "./access/admin-sessions.js";
import { WrongTokenLimit } from "./access/wrong-token-limit.js";
import { acceptFormBodies } from "./admin/form-body.js";
import { addPageHeaders } from "./admin/page-headers.js";
import { errorPage } from "./admin/pages/error-page.js";
import { adminAssetsRoute } from "./admin/routes/admin-assets.js";
import { adminCreateBackupRoute } from "./admin/routes/admin-create-backup.js";
import { adminDeploymentRoute } from "./admin/routes/admin-deployment.js";
import { adminDeploymentActionsRoute } from "./admin/routes/admin-deployment-actions.js";
import { adminDeploymentLogRoute } from "./admin/routes/admin-deployment-log.js";
import { adminDeploymentsRoute } from "./admin/routes/admin-deployments.js";
import { adminLoginRoute } from "./admin/routes/admin-login.js";
import { adminLogoutRoute } from "./admin/routes/admin-logout.js";
import { adminProjectDataRoute } from "./admin/routes/admin-project-data.js";
import { adminQueuesRoute } from "./admin/routes/admin-queues.js";
import { apiDeploymentActionsRoute } from "./api/api-deployment-actions.js";
import { apiDeploymentsRoute } from "./api/api-deployments.js";
import type { HttpDeps } from "./http-deps.js";

export const ADMIN_TOKEN_MISSING =
  "ADMIN_TOKEN is not set: the dashboard (/admin) and the operator API (/api) are off";

/**
 * The operator's side of the server: the dashboard at /admin, Bull Board at /admin/queues and
 * the API at /api, all behind ADMIN_TOKEN. Without a token none of it is served: every such
 * path answers 503 saying so, while the webhook and /healthz go on.
 */
export async function operatorRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const token = deps.config.http.adminToken;
  if (!token) {
    for (const url of ["/admin", "/admin/*", "/api", "/api/*"])
      app.all(url, async (_request, reply) => reply.code(503).send({ error: ADMIN_TOKEN_MISSING }));
    return;
  }
  // One count of wrong tokens per address for the login form and every guarded route.
  const guard = {
    token,
    wrongTokens: new WrongTokenLimit(),
    sessions: adminSessions(deps.db, token),
    trustProxy: deps.config.http.trustProxy !== false,
  };

  await app.register(async (pub) => {
    addPageHeaders(pub);
    acceptFormBodies(pub);
    await adminAssetsRoute(pub);
    await adminLoginRoute(pub, guard);
  });

  await app.register(
    async (dashboard) => {
      guardAdmin(dashboard, guard, "dashboard");
      addPageHeaders(dashboard);
      acceptFormBodies(dashboard);
      dashboard.setErrorHandler((error: FastifyError, request, reply) => {
        const status = error.statusCode ?? 500;
        if (status >= 500) request.log.error({ err: error }, "dashboard request failed");
        const message = status >= 500 ? "internal error: see the worker's log" : error.message;
        const csrf = request.adminCredential
          ? csrfToken(request.adminCredential, token)
          : undefined;
        return reply
          .code(status)
          .type("text/html; charset=utf-8")
          .send(errorPage(status, message, csrf));
      });
      dashboard.setNotFoundHandler((request, reply) => {
        const csrf = request.adminCredential
          ? csrfToken(request.adminCredential, token)
          : undefined;
        return reply
          .code(404)
          .type("text/html; charset=utf-8")
          .send(errorPage(404, `no page ${request.url.split("?")[0]}`, csrf));
      });
      await adminDeploymentsRoute(dashboard, deps, token);
      await adminDeploymentRoute(dashboard, deps, token);
      await adminDeploymentLogRoute(dashboard, deps);
      await adminDeploymentActionsRoute(dashboard, deps, token);
      await adminLogoutRoute(dashboard, guard.sessions);
      if (deps.data) {
        await adminProjectDataRoute(dashboard, deps.data, token);
        await adminCreateBackupRoute(dashboard, deps, token);
      }
    },
    { prefix: "/admin" },
  );

  await app.register(async (queues) => {
    guardAdmin(queues, guard, "dashboard");
    await adminQueuesRoute(queues, deps);
  });

  await app.register(
    async (api) => {
      guardAdmin(api, guard, "api");
      api.setNotFoundHandler((request, reply) =>
        reply.code(404).send({ error: `no route ${request.method} ${request.url.split("?")[0]}` }),
      );
      await apiDeploymentsRoute(api, deps);
      await apiDeploymentActionsRoute(api, deps);
    },
    { prefix: "/api" },
  );
}
