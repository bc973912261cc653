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

/** The same without the failed step's name: for a caller that reads the steps anyway. */
export type NewestDeployment = Omit<LatestDeployment, "failedStep">;

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
 * `status: "failed"`, a partial index of the newest deployments that failed. The failed step's
 * name is most of the cost per row (up to four step rows each): `{ failedStep: false }` leaves
 * it out.
 */
export function latestDeploymentPerProject(
  db: Db,
  filter?: LatestFilter,
): Promise<LatestDeployment[]>;
export function latestDeploymentPerProject(
  db: Db,
  filter: LatestFilter,
  options: { failedStep: false },
): Promise<NewestDeployment[]>;
export async function latestDeploymentPerProject(
  db: Db,
  filter: LatestFilter = {},
  options: { failedStep?: boolean } = {},
): Promise<NewestDeployment[]> {
  const conditions = [Prisma.sql`d."latest"`];
  if (filter.project !== undefined) conditions.push(Prisma.sql`p.slug = ${filter.project}`);
  if (filter.status !== undefined) conditions.push(statusIs(filter.status));
  if (filter.errorCode !== undefined)
    conditions.push(Prisma.sql`d."errorCode" = ${filter.errorCode}`);
  if (filter.finishedSince !== undefined)
    conditions.push(Prisma.sql`d."finishedAt" >= ${filter.finishedSince}`);
  const failedStep =
    options.failedStep === false
      ? Prisma.empty
      : Prisma.sql`, (SELECT s.name FROM "DeploymentStep" s
                      WHERE s."deploymentId" = d.id AND s.status = 'failed'
                      ORDER BY s.position LIMIT 1) AS "failedStep"`;
  return db.$queryRaw<NewestDeployment[]>`
    SELECT p.slug AS project, d.id, d.status, d."errorCode", d."finishedAt" ${failedStep}
    FROM "Deployment" d
    JOIN "Project" p ON p.id = d."projectId"
    WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY p.slug`;
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
