import {
  type LatestDeployment,
  type LatestFilter,
  latestDeploymentPerProject,
  type NewestDeployment,
} from "../store/latest-deployments.js";
import type { Db } from "../store/prisma.js";

export type FailedFilter = { project?: string; code?: string; since?: Date };

/**
 * The deployments an incident clean-up retries: per project, its newest deployment when that
 * one failed (a failed deploy with a newer deploy of its project after it is left alone: it
 * has been superseded), matching the filter (error code, ended since). One set-based query
 * (store/latest-deployments.ts) that reads only the projects it returns, whatever the history.
 * `{ failedStep: false }` leaves out each one's failed step (its name costs a read of its steps).
 */
export function latestFailedDeployments(db: Db, filter: FailedFilter): Promise<LatestDeployment[]>;
export function latestFailedDeployments(
  db: Db,
  filter: FailedFilter,
  options: { failedStep: false },
): Promise<NewestDeployment[]>;
export async function latestFailedDeployments(
  db: Db,
  filter: FailedFilter,
  options: { failedStep?: boolean } = {},
): Promise<NewestDeployment[]> {
  const latest: LatestFilter = {
    project: filter.project,
    status: "failed",
    errorCode: filter.code,
    finishedSince: filter.since,
  };
  return options.failedStep === false
    ? latestDeploymentPerProject(db, latest, { failedStep: false })
    : latestDeploymentPerProject(db, latest);
}
