import {
  type LatestDeployment,
  type LatestFilter,
  latestDeploymentPerProject,
  latestFailedDeploymentIds,
} from "../store/latest-deployments.js";
import type { Db } from "../store/prisma.js";

export type FailedFilter = { project?: string; code?: string; since?: Date };

/**
 * The deployments an incident clean-up retries: per project, its newest deployment when that
 * one failed (a failed deploy with a newer deploy of its project after it is left alone: it
 * has been superseded), matching the filter (error code, ended since). One set-based query
 * (store/latest-deployments.ts) that reads only the projects it returns, whatever the history.
 */
export async function latestFailedDeployments(
  db: Db,
  filter: FailedFilter,
): Promise<LatestDeployment[]> {
  const latest: LatestFilter = { ...storeFilter(filter), status: "failed" };
  return latestDeploymentPerProject(db, latest);
}

/**
 * The same deployments' ids, in the same order: read from the index alone. `retry --all-failed`
 * takes the rest of each (project, code, failed step) from its retry's plan, which loads it.
 */
export async function latestFailedIds(db: Db, filter: FailedFilter): Promise<string[]> {
  return latestFailedDeploymentIds(db, storeFilter(filter));
}

function storeFilter(filter: FailedFilter): Omit<LatestFilter, "status"> {
  return { project: filter.project, errorCode: filter.code, finishedSince: filter.since };
}
