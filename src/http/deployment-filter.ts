import { z } from "zod";
import { projectSlug } from "../deploys/deploy-request.js";
import { DEPLOYMENT_STATUSES } from "../store/deployment-statuses.js";

/** The filters of `GET /api/deployments` and the dashboard's list, from the query string. */
export const deploymentFilter = z.object({
  project: projectSlug.optional(),
  status: z
    .enum(DEPLOYMENT_STATUSES, { error: `expected one of ${DEPLOYMENT_STATUSES.join(", ")}` })
    .optional(),
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,63}$/, "expected an error code such as CHECKOUT_FAILED")
    .optional(),
  limit: z.coerce
    .number({ error: "expected a whole number from 1 to 1000" })
    .int("expected a whole number from 1 to 1000")
    .min(1, "expected a whole number from 1 to 1000")
    .max(1000, "expected a whole number from 1 to 1000")
    .default(50),
});

export type DeploymentFilter = z.infer<typeof deploymentFilter>;

/** The filter, or one line naming every bad parameter. Empty parameters count as absent. */
export function parseDeploymentFilter(
  query: unknown,
): { filter: DeploymentFilter } | { error: string } {
  const present = Object.fromEntries(
    Object.entries((query ?? {}) as Record<string, unknown>).filter(
      ([key, value]) => key in deploymentFilter.shape && value !== "",
    ),
  );
  const parsed = deploymentFilter.safeParse(present);
  if (parsed.success) return { filter: parsed.data };
  return {
    error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
  };
}
