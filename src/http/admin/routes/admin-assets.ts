import type { FastifyInstance } from "fastify";
import { DASHBOARD_CSS } from "../assets/dashboard-css.js";
import { LIVE_LOG_SCRIPT } from "../assets/live-log-script.js";

/** The dashboard's stylesheet and script: public (the login page needs the one, neither holds a secret). */
export async function adminAssetsRoute(app: FastifyInstance): Promise<void> {
  app.get("/admin/assets/dashboard.css", async (_request, reply) =>
    reply.type("text/css; charset=utf-8").send(DASHBOARD_CSS),
  );
  app.get("/admin/assets/live-log.js", async (_request, reply) =>
    reply.type("text/javascript; charset=utf-8").send(LIVE_LOG_SCRIPT),
  );
}
