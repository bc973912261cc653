import { latestDeploymentPerProject } from "../store/latest-deployments.js";
import type { Db } from "../store/prisma.js";

export type FailedFilter = { project?: string; code?: string; since?: Date };

/**
 * The deployments an incident clean-up retries: per project, its newest deployment when that
 * one failed (a failed deploy with a newer deploy of its project after it is left alone: it
 * has been superseded), matching the filter (error code, ended since). One set-based query
 * (store/latest-deployments.ts), whatever the history.
 */
export async function latestFailedDeployments(db: Db, filter: FailedFilter) {
  return latestDeploymentPerProject(db, {
    project: filter.project,
    status: "failed",
    errorCode: filter.code,
    finishedSince: filter.since,
  });
}
