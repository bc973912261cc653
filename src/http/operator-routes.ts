import type { FastifyError, FastifyInstance } from "fastify";
import { csrfToken } from "./admin-credentials.js";
import { guardAdmin } from "./admin-guard.js";
import { adminSessions } from "./admin-sessions.js";
import type { HttpDeps } from "./build-app.js";
import { acceptFormBodies } from "./form-body.js";
import { addPageHeaders } from "./page-headers.js";
import { errorPage } from "./pages/error-page.js";
import { adminAssetsRoute } from "./routes/admin-assets.js";
import { adminCreateBackupRoute } from "./routes/admin-create-backup.js";
import { adminDeploymentRoute } from "./routes/admin-deployment.js";
import { adminDeploymentActionsRoute } from "./routes/admin-deployment-actions.js";
import { adminDeploymentLogRoute } from "./routes/admin-deployment-log.js";
import { adminDeploymentsRoute } from "./routes/admin-deployments.js";
import { adminLoginRoute } from "./routes/admin-login.js";
import { adminLogoutRoute } from "./routes/admin-logout.js";
import { adminProjectDataRoute } from "./routes/admin-project-data.js";
import { adminQueuesRoute } from "./routes/admin-queues.js";
import { apiDeploymentActionsRoute } from "./routes/api-deployment-actions.js";
import { apiDeploymentsRoute } from "./routes/api-deployments.js";
import { WrongTokenLimit } from "./wrong-token-limit.js";

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
