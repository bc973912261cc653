import type { DeploymentStatus } from "@prisma/client";
import { Prisma } from "@prisma/client";
import { DEPLOYMENT_STATUSES } from "./deployment-statuses.js";
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
 * The newest carries `latest`, kept by triggers as deployments are recorded (migration
 * 20261207020000_latest_deployment), so one statement reads only the rows it returns: with
 * `status: "failed"`, a partial index of the newest deployments that failed.
 */
export async function latestDeploymentPerProject(
  db: Db,
  filter: LatestFilter = {},
): Promise<LatestDeployment[]> {
  const conditions = [Prisma.sql`d."latest"`];
  if (filter.project !== undefined) conditions.push(Prisma.sql`p.slug = ${filter.project}`);
  if (filter.status !== undefined) conditions.push(statusIs(filter.status));
  if (filter.errorCode !== undefined)
    conditions.push(Prisma.sql`d."errorCode" = ${filter.errorCode}`);
  if (filter.finishedSince !== undefined)
    conditions.push(Prisma.sql`d."finishedAt" >= ${filter.finishedSince}`);
  return db.$queryRaw<LatestDeployment[]>`
    SELECT p.slug AS project, d.id, d.status, d."errorCode", d."finishedAt",
           (SELECT s.name FROM "DeploymentStep" s
            WHERE s."deploymentId" = d.id AND s.status = 'failed'
            ORDER BY s.position LIMIT 1) AS "failedStep"
    FROM "Deployment" d
    JOIN "Project" p ON p.id = d."projectId"
    WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY p.slug`;
}

/**
 * The ids of the projects' newest deployments that failed, by project slug, keeping those that
 * match `filter`: what `retry --all-failed` retries (its retries' plans read the rest of each).
 * Every column it reads or filters by is in the partial index of the newest deployments that
 * failed (migration 20261207120000_latest_failed_covering), so it is an index-only scan: its
 * cost per project listed is an index entry and a uuid sent, not a row of the history's
 * largest table. Ordered by slug byte by byte (slugs are ASCII: the same order as the
 * database's collation on a C locale, and on any other, without its cost per comparison).
 */
export async function latestFailedDeploymentIds(
  db: Db,
  filter: Omit<LatestFilter, "status"> = {},
): Promise<string[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>(latestFailedIdsSql(filter));
  return rows.map((row) => row.id);
}

/** The statement latestFailedDeploymentIds sends (exported for the test of its plan). */
export function latestFailedIdsSql(filter: Omit<LatestFilter, "status">): Prisma.Sql {
  const conditions = [Prisma.sql`d."latest"`, statusIs("failed")];
  if (filter.project !== undefined) conditions.push(Prisma.sql`p.slug = ${filter.project}`);
  if (filter.errorCode !== undefined)
    conditions.push(Prisma.sql`d."errorCode" = ${filter.errorCode}`);
  if (filter.finishedSince !== undefined)
    conditions.push(Prisma.sql`d."finishedAt" >= ${filter.finishedSince}`);
  return Prisma.sql`
    SELECT d.id
    FROM "Deployment" d
    JOIN "Project" p ON p.id = d."projectId"
    WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY p.slug COLLATE "C"`;
}

/**
 * The status as a literal, not a parameter: the planner then proves a partial index's
 * predicate (`status = 'failed'`) from it whatever plan it makes. Only a status of the
 * enum's list reaches the text.
 */
function statusIs(status: DeploymentStatus): Prisma.Sql {
  if (!(DEPLOYMENT_STATUSES as readonly string[]).includes(status))
    throw new Error(`not a deployment status: ${JSON.stringify(status)}`);
  return Prisma.raw(`d.status = '${status}'::"DeploymentStatus"`);
}
