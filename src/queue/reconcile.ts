import type { Queue } from "bullmq";
import type { Logger } from "../logger.js";
import type { Db } from "../store/prisma.js";
import { enqueueDeploy } from "./deploy-job.js";

export type Reconciled = { requeued: string[]; interrupted: string[] };

// Job states in which a deploy is still in the queue's hands.
const HELD = new Set(["waiting", "active", "delayed", "prioritized", "waiting-children"]);

/**
 * Makes Redis agree with Postgres, which is the record: a deployment Postgres says is queued or
 * running, but whose job Redis no longer holds (Redis restarted without persistence, a job
 * removed by hand), is queued again; if it was running, its running step is recorded as
 * interrupted first. Nothing is lost and nothing stays `running` forever.
 */
export async function reconcile(db: Db, queue: Queue, logger: Logger): Promise<Reconciled> {
  const open = await db.deployment.findMany({
    where: { status: { in: ["queued", "running"] } },
    select: { id: true, status: true },
  });
  const result: Reconciled = { requeued: [], interrupted: [] };
  for (const deployment of open) {
    const state = await queue.getJobState(deployment.id);
    if (HELD.has(state)) continue;
    if (deployment.status === "running") {
      await db.$transaction([
        db.deploymentStep.updateMany({
          where: { deploymentId: deployment.id, status: "running" },
          data: { status: "interrupted", errorCode: "WORKER_INTERRUPTED", finishedAt: new Date() },
        }),
        db.deployment.updateMany({
          where: { id: deployment.id, status: "running" },
          data: { status: "queued" },
        }),
      ]);
      result.interrupted.push(deployment.id);
    }
    // A finished job of the same id would make the new add a no-op.
    if (state !== "unknown") await queue.remove(deployment.id).catch(() => 0);
    await enqueueDeploy(queue, deployment.id);
    result.requeued.push(deployment.id);
  }
  if (result.requeued.length > 0) logger.warn(result, "reconciled deployments the queue had lost");
  return result;
}
