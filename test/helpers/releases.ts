import { processStartTicks } from "../../src/exec/process-identity.js";
import { stopAbandonedGroup } from "../../src/exec/stop-abandoned-group.js";
import {
  type ReleasesReconciled,
  reconcileReleases,
} from "../../src/hosting/reconcile-releases.js";
import { openReleaseHost, type ReleaseHost } from "../../src/hosting/release-host.js";
import type { Db } from "../../src/store/prisma.js";
import type { TestStack } from "./test-worker.js";

/** The deployments of a project whose release process is running now (same pid, same start). */
export async function runningReleases(db: Db, project: string): Promise<string[]> {
  const deployments = await db.deployment.findMany({
    where: { project: { slug: project }, releasePid: { not: null } },
    select: { id: true, releasePid: true, releaseStartTicks: true },
  });
  return deployments
    .filter(
      (d) =>
        d.releaseStartTicks !== null && processStartTicks(d.releasePid!) === d.releaseStartTicks,
    )
    .map((d) => d.id);
}

/** Kills the commands a failed test left running in steps (their groups are on the step rows). */
export async function stopLeftoverSteps(db: Db): Promise<void> {
  const steps = await db.deploymentStep.findMany({
    where: { pgid: { not: null }, pgidStartTicks: { not: null } },
    select: { pgid: true, pgidStartTicks: true },
  });
  for (const step of steps) await stopAbandonedGroup(step.pgid!, step.pgidStartTicks!);
}

/**
 * What a worker of the stack's host does every minute: its releases and routes made to match
 * the record (hosting/reconcile-releases.ts), on the release host the stack's config opens.
 */
export async function reconcileStackReleases(
  stack: Pick<TestStack, "db" | "config" | "logger">,
  options: { host?: ReleaseHost } = {},
): Promise<ReleasesReconciled> {
  return reconcileReleases({
    db: stack.db,
    host: options.host ?? (await openReleaseHost(stack.config)),
    logger: stack.logger,
    databaseUrl: stack.config.databaseUrl,
    hostId: stack.config.host.id,
  });
}
