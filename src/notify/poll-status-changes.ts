import type { Queue } from "bullmq";
import { enqueueNotification } from "../queue/notify-job.js";
import type { Db } from "../store/prisma.js";
import { notificationBody } from "./notification-body.js";
import { statusEvents } from "./status-events.js";

const MAX_DEPLOY_SPAN_MS = 24 * 3600_000;

const notifiedProject = {
  project: { select: { slug: true, notificationTarget: { select: { createdAt: true } } } },
} as const;

/**
 * Queues a notification for every status change since `since` of the deployments of projects
 * that have a notification URL (changes from before the URL was set are not notified). Status
 * changes are read from the deployment rows' timestamps, so nothing that changes a status has
 * to know about notifications; each event's delivery id is its job id, so several workers
 * polling, or one polling the same moment twice, queue it once. A live release that crashed
 * (releaseCrashedAt) since `since` is notified too, however long after its deploy. Returns the
 * events it saw.
 */
export async function queueStatusNotifications(db: Db, queue: Queue, since: Date): Promise<number> {
  const deployments = await db.deployment.findMany({
    where: {
      project: { notificationTarget: { isNot: null } },
      // Bounds the scan (index on projectId, queuedAt): no deploy ends a day after it was queued.
      queuedAt: { gte: new Date(since.getTime() - MAX_DEPLOY_SPAN_MS) },
      OR: [
        { queuedAt: { gte: since } },
        { startedAt: { gte: since } },
        { finishedAt: { gte: since } },
      ],
    },
    include: notifiedProject,
    orderBy: { queuedAt: "asc" },
  });
  // A release crashes any time after its deploy: found from the projects (a small table, each
  // with one live deployment), not within the bound above.
  const crashed = await db.project.findMany({
    where: {
      notificationTarget: { isNot: null },
      liveDeployment: { is: { releaseCrashedAt: { gte: since } } },
    },
    select: { liveDeployment: { include: notifiedProject } },
  });
  const known = new Set(deployments.map((d) => d.id));
  for (const { liveDeployment } of crashed)
    if (liveDeployment && !known.has(liveDeployment.id)) deployments.push(liveDeployment);
  let seen = 0;
  for (const deployment of deployments) {
    const target = deployment.project.notificationTarget;
    if (!target) continue;
    for (const event of statusEvents(deployment)) {
      if (event.at < since || event.at < target.createdAt) continue;
      seen++;
      await enqueueNotification(queue, {
        projectId: deployment.projectId,
        deliveryId: event.deliveryId,
        body: JSON.stringify(notificationBody(deployment.project.slug, deployment, event)),
      });
    }
  }
  return seen;
}
