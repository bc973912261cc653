import type { FailureCode } from "../failures/codes.js";
import type { Db } from "./prisma.js";

/**
 * Marks a deployment degraded: its live release logged a documented runtime failure. Only the
 * first failure is kept, and only while the deployment's release is still the live one.
 * Returns whether it was marked.
 */
export async function markDegraded(
  db: Db,
  deploymentId: string,
  failure: { code: FailureCode; evidence: string },
): Promise<boolean> {
  const { count } = await db.deployment.updateMany({
    where: { id: deploymentId, degradedAt: null, liveFor: { isNot: null } },
    data: {
      degradedAt: new Date(),
      degradedCode: failure.code,
      degradedEvidence: failure.evidence,
    },
  });
  return count === 1;
}
