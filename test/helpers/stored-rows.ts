import type { Db } from "../../src/store/prisma.js";

/** Every table that records a project, its database, a deployment, a step, a log or a delivery. */
const RECORD_TABLES = [
  "Project",
  "ProjectDatabase",
  "Deployment",
  "DeploymentStep",
  "StepLogChunk",
  "WebhookDelivery",
];

/**
 * Every row of those tables, every column, as JSON text: what an attack test searches for a
 * secret that must never be stored (a decoy a link pointed at, a token, a password).
 */
export async function storedRows(db: Db): Promise<string[]> {
  const rows: string[] = [];
  for (const table of RECORD_TABLES) {
    const found = await db.$queryRawUnsafe<{ row: string }[]>(
      `SELECT row_to_json(t)::text AS row FROM "${table}" t`,
    );
    rows.push(...found.map((r) => r.row));
  }
  return rows;
}
