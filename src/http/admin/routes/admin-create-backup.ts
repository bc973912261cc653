import type { FastifyInstance } from "fastify";
import { projectSlug } from "../../../deploys/deploy-request.js";
import { enqueueBackup } from "../../../queue/database-jobs.js";
import type { HostQueues } from "../../../queue/host-queues.js";
import { createBackup } from "../../../store/backups.js";
import { projectHostId } from "../../../store/hosts.js";
import type { Db } from "../../../store/prisma.js";
import { csrfToken } from "../../access/admin-credentials.js";
import { errorPage } from "../pages/error-page.js";

/**
 * `POST /admin/projects/:slug/backups`: the Data view's Create button queues a backup (the
 * guard has checked the form's CSRF token and Origin).
 */
export async function adminCreateBackupRoute(
  app: FastifyInstance,
  deps: { db: Db; queues: HostQueues },
  token: string,
): Promise<void> {
  app.post("/projects/:slug/backups", async (request, reply) => {
    const csrf = csrfToken(request.adminCredential!, token);
    reply.type("text/html; charset=utf-8");
    const slug = projectSlug.safeParse((request.params as { slug: string }).slug);
    if (!slug.success) return reply.code(400).send(errorPage(400, "not a project slug", csrf));
    const project = await deps.db.project.findUnique({
      where: { slug: slug.data },
      select: { id: true, database: { select: { provisionedAt: true } } },
    });
    if (!project?.database?.provisionedAt)
      return reply.code(404).send(errorPage(404, `project ${slug.data} has no database yet`, csrf));
    const hostId = await projectHostId(deps.db, project.id);
    if (!hostId)
      return reply
        .code(409)
        .send(errorPage(409, `project ${slug.data} has no host: see coduck-worker doctor`, csrf));
    const id = await createBackup(deps.db, {
      projectId: project.id,
      kind: "manual",
      requestedBy: "dashboard",
      hostId,
    });
    await enqueueBackup(deps.queues, hostId, id);
    const notice = encodeURIComponent(`queued backup ${id}`);
    return reply.redirect(`/admin/projects/${slug.data}/data?notice=${notice}`, 303);
  });
}
