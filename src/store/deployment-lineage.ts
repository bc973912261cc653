import type { Db } from "./prisma.js";

/** Where a deployment comes from and what came of it: the retries and rollbacks around it. */
export type DeploymentLineage = {
  requestedBy: string | null;
  retryOf: { id: string; number: number; fromStep: string | null } | null;
  rollbackTo: string | null;
  retries: { id: string; status: string }[];
};

export async function readDeploymentLineage(db: Db, id: string): Promise<DeploymentLineage | null> {
  const found = await db.deployment.findUnique({
    where: { id },
    select: {
      requestedBy: true,
      retryOfId: true,
      retryNumber: true,
      fromStep: true,
      rollbackToId: true,
      retries: { select: { id: true, status: true }, orderBy: { queuedAt: "asc" } },
    },
  });
  if (!found) return null;
  return {
    requestedBy: found.requestedBy,
    retryOf: found.retryOfId
      ? { id: found.retryOfId, number: found.retryNumber, fromStep: found.fromStep }
      : null,
    rollbackTo: found.rollbackToId,
    retries: found.retries,
  };
}
