import type { FastifyInstance } from "fastify";
import { projectSlug } from "../../../deploys/deploy-request.js";
import { csrfToken } from "../../access/admin-credentials.js";
import { errorPage } from "../pages/error-page.js";
import { projectDataPage } from "../pages/project-data-page.js";
import { type ProjectDataDeps, readProjectData } from "../project-data.js";

/**
 * `GET /admin/projects/:slug/data[?table=schema.name]`: the project's Data view (storage,
 * backups, tables, one table's schema and recent rows), read-only.
 */
export async function adminProjectDataRoute(
  app: FastifyInstance,
  deps: ProjectDataDeps,
  token: string,
): Promise<void> {
  app.get("/projects/:slug/data", async (request, reply) => {
    const csrf = csrfToken(request.adminCredential!, token);
    reply.type("text/html; charset=utf-8");
    const slug = projectSlug.safeParse((request.params as { slug: string }).slug);
    if (!slug.success) return reply.code(400).send(errorPage(400, "not a project slug", csrf));
    const query = request.query as { table?: unknown; notice?: unknown };
    const table =
      typeof query.table === "string" && query.table ? query.table.slice(0, 200) : undefined;
    const data = await readProjectData(deps, slug.data, table);
    if (!data)
      return reply.code(404).send(errorPage(404, `project ${slug.data} has no database yet`, csrf));
    const notice = typeof query.notice === "string" ? query.notice.slice(0, 200) : undefined;
    return reply
      .code(data.selected && "error" in data.selected ? 404 : 200)
      .send(projectDataPage({ data, table, csrf, notice }));
  });
}
