import { setTimeout as sleep } from "node:timers/promises";
import { stopProcessGroup } from "../../src/releases/process-group.js";
import type { Db } from "../../src/store/prisma.js";
import type { DeploymentPoller } from "./deployment-poller.js";

const POLL_MS = 25;

export type EndedDeployment = {
  id: string;
  project: string;
  status: string;
  /** For a deploy that did not succeed: its failed step, code and last log lines. */
  failure: string | null;
  queuedAt: Date;
  /** The first step's start: when the worker began working on it. */
  firstStepAt: Date | null;
  finishedAt: Date;
  releasePid: number | null;
  /** Each step's own duration as the worker recorded it. */
  steps: { name: string; durationMs: number }[];
};

/** Waits until every deployment ended; returns their timestamps, step durations and failures. */
export async function waitForEnd(
  db: Db,
  poller: DeploymentPoller,
  ids: readonly string[],
  timeoutMs = 900_000,
): Promise<EndedDeployment[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const active = await poller.countActive(ids);
    if (active === 0) break;
    if (Date.now() > deadline) throw new Error(`${active} deployments still running`);
    await sleep(POLL_MS);
  }
  const rows = await db.deployment.findMany({
    where: { id: { in: [...ids] } },
    include: { steps: { orderBy: { position: "asc" } }, project: { select: { slug: true } } },
  });
  return rows.map((row) => {
    const failed = row.steps.find((step) => step.status === "failed");
    return {
      id: row.id,
      project: row.project.slug,
      status: row.status,
      failure:
        row.status === "succeeded"
          ? null
          : `deployment ${row.id} ${row.status}${failed ? ` at ${failed.name}: ${failed.errorCode}: ${failed.logTail?.split("\n").at(-1)}` : ""}`,
      queuedAt: row.queuedAt,
      firstStepAt: row.steps[0]?.startedAt ?? null,
      finishedAt: row.finishedAt!,
      releasePid: row.releasePid,
      steps: row.steps.map((step) => ({ name: step.name, durationMs: step.durationMs ?? 0 })),
    };
  });
}

/** Stops the releases the deploys left serving, so that the next runs find an idle machine. */
export async function stopReleases(ended: readonly EndedDeployment[]): Promise<void> {
  await Promise.all(
    ended.flatMap((d) => (d.releasePid ? [stopProcessGroup(d.releasePid, 2_000)] : [])),
  );
}
