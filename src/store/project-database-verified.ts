import type { Db } from "./prisma.js";

export type VerifiedProjectDatabase = { passwordEncrypted: string; keyVersion: number };

/**
 * Stamps `verifiedAt` on a provisioned project's database record and returns its sealed
 * password, in one statement: the already-provisioned check's only write, and its only read
 * of the worker's database. Null when the project has no such provisioned record.
 */
export async function markProjectDatabaseVerified(
  db: Db,
  slug: string,
  databaseName: string,
): Promise<VerifiedProjectDatabase | null> {
  // verifiedAt is a timestamp without time zone holding UTC, as Prisma writes it.
  const rows = await db.$queryRaw<VerifiedProjectDatabase[]>`
    UPDATE "ProjectDatabase" AS d SET "verifiedAt" = ${new Date().toISOString()}::timestamp(3)
    FROM "Project" AS p
    WHERE p.id = d."projectId" AND p.slug = ${slug}
      AND d."databaseName" = ${databaseName} AND d."provisionedAt" IS NOT NULL
    RETURNING d."passwordEncrypted", d."keyVersion"`;
  return rows[0] ?? null;
}
