import { setTimeout as sleep } from "node:timers/promises";
import { Prisma } from "@prisma/client";
import { createDeployment } from "./deployments.js";
import type { PlacementOptions } from "./hosts.js";
import type { Db } from "./prisma.js";

export type PushDelivery = {
  /** GitHub's X-GitHub-Delivery. */
  deliveryId: string;
  project: { id: string; slug: string; repoUrl: string };
  commitSha: string;
  steps: readonly string[];
  /** Who pushed (see pushedBy), recorded as who asked for the deployment. */
  requestedBy?: string | null;
  /** Places a project with no host yet (from before hosts) as a first deploy would. */
  placement?: PlacementOptions;
};

export type PushOutcome = {
  deploymentId: string;
  status: string;
  /** False when this delivery, or this commit of the project, was already recorded. */
  created: boolean;
};

/** A claim whose request never recorded its deployment (it died) is taken over after this. */
const ABANDONED_CLAIM_MS = 30_000;
const WAIT_FOR_OTHER_REQUEST_MS = 30_000;
// Backs off, so that a burst of redeliveries waiting on their first copies does not itself
// take the connections those need to finish.
const POLL_FIRST_MS = 100;
const POLL_MAX_MS = 1_000;

/**
 * Records the deployment of a pushed commit exactly once per delivery and per commit of a
 * project. The delivery row is claimed first (its two unique keys decide between concurrent
 * requests), then the deployment is recorded and linked to it; a request that finds the claim
 * of another one still unlinked waits for it. The deployment is recorded before anything is
 * enqueued: the caller enqueues it.
 */
export async function recordPushDeployment(db: Db, push: PushDelivery): Promise<PushOutcome> {
  const deadline = Date.now() + WAIT_FOR_OTHER_REQUEST_MS;
  let poll = POLL_FIRST_MS;
  for (;;) {
    const existing = await findDelivery(db, push);
    if (existing?.deployment) {
      return {
        deploymentId: existing.deployment.id,
        status: existing.deployment.status,
        created: false,
      };
    }
    if (!existing) {
      const claim = await claimDelivery(db, push);
      if (claim) return recordClaimed(db, push, claim.id);
    } else if (existing.receivedAt.getTime() < Date.now() - ABANDONED_CLAIM_MS) {
      await db.webhookDelivery.deleteMany({ where: { id: existing.id, deploymentId: null } });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `delivery ${push.deliveryId} is still being recorded by another request; redeliver it in a minute`,
      );
    }
    await sleep(poll);
    poll = Math.min(poll * 2, POLL_MAX_MS);
  }
}

function findDelivery(db: Db, push: PushDelivery) {
  return db.webhookDelivery.findFirst({
    where: {
      OR: [
        { deliveryId: push.deliveryId },
        { projectId: push.project.id, commitSha: push.commitSha },
      ],
    },
    include: { deployment: { select: { id: true, status: true } } },
  });
}

/** Null when another request claimed this delivery or this commit first. */
async function claimDelivery(db: Db, push: PushDelivery) {
  try {
    return await db.webhookDelivery.create({
      data: {
        deliveryId: push.deliveryId,
        projectId: push.project.id,
        commitSha: push.commitSha,
      },
      select: { id: true },
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
      return null;
    throw error;
  }
}

async function recordClaimed(db: Db, push: PushDelivery, claimId: string): Promise<PushOutcome> {
  try {
    const { id } = await createDeployment(db, {
      project: push.project.slug,
      repoUrl: push.project.repoUrl,
      ref: push.commitSha,
      trigger: "webhook",
      steps: push.steps,
      lineage: { requestedBy: push.requestedBy ?? null },
      ...(push.placement && { placement: push.placement }),
    });
    await db.webhookDelivery.update({ where: { id: claimId }, data: { deploymentId: id } });
    return { deploymentId: id, status: "queued", created: true };
  } catch (error) {
    // Let a redelivery try again rather than find a claim that leads nowhere.
    await db.webhookDelivery.delete({ where: { id: claimId } }).catch(() => undefined);
    throw error;
  }
}
