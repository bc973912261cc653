import { z } from "zod";

/** The `:id` of a deployment route, or null when it is not a deployment id (a 400). */
export function deploymentIdParam(params: unknown): string | null {
  const raw = (params as { id?: unknown } | undefined)?.id;
  return z.uuid().safeParse(raw).success ? (raw as string) : null;
}

export function notADeploymentId(params: unknown): string {
  const raw = (params as { id?: unknown } | undefined)?.id;
  return `not a deployment id: ${JSON.stringify(String(raw ?? "")).slice(0, 80)}`;
}
