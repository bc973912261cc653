import { type AbandonedGroupStop, stopAbandonedGroup } from "../exec/stop-abandoned-group.js";
import type { ReleaseHost } from "../hosting/release-host.js";
import { stopRelease } from "../hosting/stop-release.js";
import type { Logger } from "../logger.js";
import { isRunning } from "../releases/process-group.js";
import type { Db } from "../store/prisma.js";

export type TakeOver = {
  deploymentId: string;
  /** The dead attempt. */
  attempt: number;
  /** Its steps that were running, now recorded `interrupted`. */
  interrupted: string[];
  /** What the dead attempt left running, by step or release, and what became of it. */
  stopped: Array<{ what: string; pgid: number; result: AbandonedGroupStop }>;
  /**
   * `queued`: it runs again; `failed`: it had used every attempt (WORKER_INTERRUPTED);
   * `succeeded`: its release had already gone live.
   */
  outcome: "queued" | "failed" | "succeeded";
};

/**
 * Ends the attempt of a deployment still recorded `running` whose worker is gone. Call it only
 * while holding the project's lane: then no live worker runs this deployment, so its attempt is
 * dead. Stops what that attempt left behind (the process groups of its running steps, and every
 * release of the project but the live one), records its running steps `interrupted`
 * (WORKER_INTERRUPTED), and then, by policy: queues the deploy again, or fails it once it has
 * used `maxAttempts`, or records it succeeded when its release had already gone live.
 * Returns null when the deployment is not running.
 */
export async function takeOverDeadAttempt(
  deps: {
    db: Db;
    logger: Logger;
    maxAttempts: number;
    /** Where releases run, opened when needed: a stray release's program is removed there, or supervisord would restart it. */
    releaseHost?: () => Promise<ReleaseHost>;
  },
  deploymentId: string,
): Promise<TakeOver | null> {
  const { db } = deps;
  const deployment = await db.deployment.findUnique({
    where: { id: deploymentId },
    select: {
      status: true,
      attempt: true,
      projectId: true,
      project: { select: { liveDeploymentId: true } },
      steps: {
        where: { status: "running" },
        select: { name: true, pgid: true, pgidStartTicks: true },
      },
    },
  });
  if (deployment?.status !== "running") return null;
  const { attempt } = deployment;
  const stopped: TakeOver["stopped"] = [];

  for (const step of deployment.steps) {
    if (step.pgid === null || step.pgidStartTicks === null) continue;
    const result = await stopAbandonedGroup(step.pgid, step.pgidStartTicks);
    stopped.push({ what: `step ${step.name}`, pgid: step.pgid, result });
  }
  stopped.push(...(await stopStrayReleases(db, deployment.projectId, deps.releaseHost)));

  const interrupted = deployment.steps.map((step) => step.name);
  const wentLive = deployment.project.liveDeploymentId === deploymentId;
  const outcome = wentLive ? "succeeded" : attempt >= deps.maxAttempts ? "failed" : "queued";
  const where = { id: deploymentId, attempt, status: "running" as const };
  const now = new Date();
  const stepNames = interrupted.join(", ") || "no step";
  const note =
    outcome === "succeeded"
      ? `attempt ${attempt}'s worker stopped after its release went live; the deploy is complete`
      : `attempt ${attempt} was interrupted at ${stepNames} (WORKER_INTERRUPTED): its worker stopped without finishing it; ${
          outcome === "queued" ? "the deploy runs again" : `no attempts left of ${deps.maxAttempts}`
        }`;

  const [claimed] = await db.$transaction([
    db.deployment.updateMany({
      where,
      data:
        outcome === "queued"
          ? { status: "queued", warnings: { push: note } }
          : outcome === "failed"
            ? {
                status: "failed",
                errorCode: "WORKER_INTERRUPTED",
                warnings: { push: note },
                finishedAt: now,
              }
            : { status: "succeeded", warnings: { push: note }, finishedAt: now },
    }),
    db.deploymentStep.updateMany({
      where: { deploymentId, status: "running", deployment: { is: { attempt } } },
      data:
        outcome === "succeeded"
          ? { status: "succeeded", pgid: null, pgidStartTicks: null, finishedAt: now }
          : {
              status: "interrupted",
              errorCode: "WORKER_INTERRUPTED",
              pgid: null,
              pgidStartTicks: null,
              finishedAt: now,
            },
    }),
    ...(outcome === "failed"
      ? [
          db.deploymentStep.updateMany({
            where: { deploymentId, status: "pending", deployment: { is: { attempt } } },
            data: { status: "skipped", skipReason: "not run: the worker stopped", finishedAt: now },
          }),
        ]
      : []),
  ]);
  if (claimed.count === 0) return null; // another worker took it over first
  const result: TakeOver = { deploymentId, attempt, interrupted, stopped, outcome };
  deps.logger.warn(result, "took over a deploy whose worker had stopped");
  return result;
}

/**
 * Releases of a project that are neither live nor stopped: a half-started release of a dead
 * attempt, or the previous release a dead attempt had not stopped yet. Only one release serves.
 */
async function stopStrayReleases(
  db: Db,
  projectId: string,
  releaseHost: (() => Promise<ReleaseHost>) | undefined,
): Promise<TakeOver["stopped"]> {
  const project = await db.project.findUniqueOrThrow({
    where: { id: projectId },
    select: { liveDeploymentId: true },
  });
  const strays = await db.deployment.findMany({
    where: {
      projectId,
      releasePid: { not: null },
      releaseStoppedAt: null,
      ...(project.liveDeploymentId ? { id: { not: project.liveDeploymentId } } : {}),
    },
    select: {
      id: true,
      releasePid: true,
      releaseStartTicks: true,
      releaseProgram: true,
      releaseLog: true,
    },
  });
  const stopped: TakeOver["stopped"] = [];
  for (const stray of strays) {
    const pgid = stray.releasePid!;
    if (stray.releaseProgram && releaseHost) {
      const how = await stopRelease(await releaseHost(), stray);
      await db.deployment.update({
        where: { id: stray.id },
        data: { releaseStoppedAt: new Date() },
      });
      stopped.push({
        what: `release of ${stray.id}`,
        pgid,
        result: how === "gone" ? "gone" : "killed",
      });
      continue;
    }
    // Without a start time the process cannot be told from a stranger: left alone if it runs.
    const result =
      stray.releaseStartTicks === null
        ? isRunning(pgid)
          ? "not-ours"
          : "gone"
        : await stopAbandonedGroup(pgid, stray.releaseStartTicks);
    if (result !== "not-ours" || stray.releaseStartTicks !== null) {
      await db.deployment.update({
        where: { id: stray.id },
        data: { releaseStoppedAt: new Date() },
      });
    }
    stopped.push({ what: `release of ${stray.id}`, pgid, result });
  }
  return stopped;
}
