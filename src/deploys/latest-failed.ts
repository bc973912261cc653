import { latestDeploymentPerProject } from "../store/latest-deployments.js";
import type { Db } from "../store/prisma.js";

export type FailedFilter = { project?: string; code?: string; since?: Date };

/**
 * The deployments an incident clean-up retries: per project, its newest deployment when that
 * one failed (a failed deploy with a newer deploy of its project after it is left alone: it
 * has been superseded), matching the filter (error code, ended since).
 */
export async function latestFailedDeployments(db: Db, filter: FailedFilter) {
  const latest = await latestDeploymentPerProject(db, filter.project);
  return latest.filter(
    (d) =>
      d.status === "failed" &&
      (filter.code === undefined || d.errorCode === filter.code) &&
      (filter.since === undefined || (d.finishedAt !== null && d.finishedAt >= filter.since)),
  );
}
