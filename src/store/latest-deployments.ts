import type { DeploymentStatus } from "@prisma/client";
import { Prisma } from "@prisma/client";
import type { Db } from "./prisma.js";

export type LatestDeployment = {
  project: string;
  id: string;
  status: DeploymentStatus;
  errorCode: string | null;
  finishedAt: Date | null;
  /** The name of its failed step (the first, by position, should there be several). */
  failedStep: string | null;
};

/** What to keep of the newest deployments: of one project, in one status, a code, ended since. */
export type LatestFilter = {
  project?: string;
  status?: DeploymentStatus;
  errorCode?: string;
  finishedSince?: Date;
};

/**
 * Each project's newest deployment (by queuedAt; between two queued in the same millisecond,
 * the greater id), with its failed step, by project slug, keeping those that match `filter`.
 * One statement: per project, one step down the (projectId, queuedAt) index (LATERAL … LIMIT 1),
 * so the cost follows the number of projects, not their history.
 */
export async function latestDeploymentPerProject(
  db: Db,
  filter: LatestFilter = {},
): Promise<LatestDeployment[]> {
  const conditions = [Prisma.sql`TRUE`];
  if (filter.project !== undefined) conditions.push(Prisma.sql`p.slug = ${filter.project}`);
  if (filter.status !== undefined)
    conditions.push(Prisma.sql`d.status = ${filter.status}::"DeploymentStatus"`);
  if (filter.errorCode !== undefined)
    conditions.push(Prisma.sql`d."errorCode" = ${filter.errorCode}`);
  if (filter.finishedSince !== undefined)
    conditions.push(Prisma.sql`d."finishedAt" >= ${filter.finishedSince}`);
  return db.$queryRaw<LatestDeployment[]>`
    SELECT p.slug AS project, d.id, d.status, d."errorCode", d."finishedAt",
           (SELECT s.name FROM "DeploymentStep" s
            WHERE s."deploymentId" = d.id AND s.status = 'failed'
            ORDER BY s.position LIMIT 1) AS "failedStep"
    FROM "Project" p
    CROSS JOIN LATERAL (
      SELECT id, status, "errorCode", "finishedAt" FROM "Deployment"
      WHERE "projectId" = p.id
      ORDER BY "queuedAt" DESC, id DESC
      LIMIT 1
    ) d
    WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY p.slug`;
}
