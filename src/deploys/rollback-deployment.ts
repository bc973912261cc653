import { z } from "zod";
import { checkReuse } from "../pipeline/check-reuse.js";
import { rollbackReuses } from "../pipeline/reused-steps.js";
import { DEPLOY_STEP_NAMES } from "../pipeline/step-names.js";
import { addWarning, createDeployment } from "../store/deployments.js";
import { placementFor } from "../store/hosts.js";
import type { Db } from "../store/prisma.js";
import { type ReleaseSource, releaseSource } from "../store/release-directories.js";
import { newestSucceededBefore, projectWithLive } from "../store/rollback-targets.js";
import { projectSlug } from "./deploy-request.js";
import { OperationRefusedError } from "./operation-refused.js";
import type { PlacingDeps } from "./queue-deployment.js";
import { recordThenQueue } from "./queue-deployment.js";

export type RollbackRequest = {
  project: string;
  /** The deployment to serve again; by default the newest succeeded one before the live one. */
  to?: string;
  requestedBy: string | null;
};

export type RollbackResult = {
  deploymentId: string;
  rollbackTo: string;
  commitSha: string;
  /** True when its kept release directory is reused; false when its commit is deployed again. */
  fromKeptRelease: boolean;
  /** Why the kept release directory could not be reused. */
  notReused: string | null;
  warning: string;
};

/**
 * Makes an earlier successful release of a project live again, as a deployment with trigger
 * `rollback`: from a copy of its kept release directory when that is intact (only provision
 * and start run), else by deploying its commit again; either way with the start step's health
 * check and swap, and never the schema step: the database schema is not rolled back, which
 * the deployment records as a warning.
 */
export async function rollbackDeployment(
  deps: PlacingDeps,
  request: RollbackRequest,
): Promise<RollbackResult> {
  const { db } = deps;
  if (!projectSlug.safeParse(request.project).success) {
    throw new OperationRefusedError(
      "invalid",
      `--project: not a project slug: ${JSON.stringify(request.project)}`,
    );
  }
  const project = await projectWithLive(db, request.project);
  if (!project) throw new OperationRefusedError("not-found", `no project ${request.project}`);
  const target = await chooseTarget(db, project, request.to);

  const check = await checkReuse(db, target, rollbackReuses());
  const warning = schemaNotRolledBack(target.id, target.commitSha!);
  const { deploymentId: id } = await recordThenQueue(deps, async () => {
    const { id, hostId } = await createDeployment(db, {
      project: project.slug,
      repoUrl: target.repoUrl,
      ref: target.commitSha!,
      trigger: "rollback",
      steps: DEPLOY_STEP_NAMES,
      ...(deps.config && { placement: placementFor(deps.config.host) }),
      lineage: {
        requestedBy: request.requestedBy,
        rollbackToId: target.id,
        fromStep: check.ok ? "start" : null,
      },
    });
    await addWarning(db, id, warning);
    return { deploymentId: id, hostId };
  });
  return {
    deploymentId: id,
    rollbackTo: target.id,
    commitSha: target.commitSha!,
    fromKeptRelease: check.ok,
    notReused: check.ok ? null : check.reason,
    warning,
  };
}

/** What every rollback (and a retry of one) says about the database. */
export function schemaNotRolledBack(targetId: string, commitSha: string): string {
  return `the database schema is not rolled back: the release of deployment ${targetId} (${commitSha.slice(0, 12)}) runs against the schema as it is now`;
}

type ProjectWithLive = NonNullable<Awaited<ReturnType<typeof projectWithLive>>>;

async function chooseTarget(
  db: Db,
  project: ProjectWithLive,
  to: string | undefined,
): Promise<ReleaseSource> {
  const live = project.liveDeployment;
  if (to !== undefined) {
    if (!z.uuid().safeParse(to).success)
      throw new OperationRefusedError(
        "invalid",
        `--to: not a deployment id: ${JSON.stringify(to)}`,
      );
    const target = await releaseSource(db, to);
    if (!target) throw new OperationRefusedError("not-found", `no deployment ${to}`);
    if (target.projectId !== project.id) {
      throw new OperationRefusedError(
        "invalid",
        `--to: deployment ${to} is of project ${target.project.slug}, not ${project.slug}`,
      );
    }
    if (target.status !== "succeeded" || !target.commitSha) {
      throw new OperationRefusedError(
        "conflict",
        `--to: deployment ${to} never succeeded (${target.status}): only a release that went live can be rolled back to`,
      );
    }
    if (live?.id === to)
      throw new OperationRefusedError("conflict", `deployment ${to} is already live`);
    return target;
  }
  if (!live) {
    throw new OperationRefusedError(
      "conflict",
      `project ${project.slug} has no live release to roll back from; choose one with --to <deployment-id>`,
    );
  }
  // Behind a rollback, "before the live one" means before the release it serves again, so
  // rolling back twice goes further back instead of returning to where it started.
  const anchor = live.rollbackTo?.queuedAt ?? live.queuedAt;
  const found = await newestSucceededBefore(db, project.id, anchor, live.commitSha);
  if (!found) {
    throw new OperationRefusedError(
      "not-found",
      `no earlier successful deployment of ${project.slug} to roll back to`,
    );
  }
  return (await releaseSource(db, found.id))!;
}
