import type { Db } from "./prisma.js";

/** How many uids projects may take from APP_UID_BASE up (documented with APP_UID_BASE). */
export const APP_UID_COUNT = 1_000_000;

/**
 * The uid (and gid, the same number) the project's app code runs as: allocated at its first
 * deploy as the next free one from `base` up, recorded on the project, and the same ever after
 * (deploys, retries, rollbacks), so its release directories and HOME stay its own.
 * Allocations take a transaction-scoped advisory lock, so two first deploys at once get two
 * uids; the unique index on Project.appUid stands behind it.
 */
export async function projectAppUid(db: Db, projectId: string, base: number): Promise<number> {
  const known = await db.project.findUnique({ where: { id: projectId }, select: { appUid: true } });
  if (known?.appUid != null) return known.appUid;
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('coduck.project-app-uid'))`;
    const found = await tx.project.findUnique({
      where: { id: projectId },
      select: { appUid: true, slug: true },
    });
    if (!found) throw new Error(`project ${projectId} does not exist`);
    if (found.appUid !== null) return found.appUid;
    const [row] = await tx.$queryRaw<{ next: number }[]>`
      SELECT COALESCE(MAX("appUid") + 1, ${base}::int) AS next
        FROM "Project" WHERE "appUid" >= ${base}::int`;
    const next = Number(row?.next ?? base);
    if (next >= base + APP_UID_COUNT)
      throw new Error(
        `no uid left for project ${found.slug}: APP_UID_BASE ${base} gives ${APP_UID_COUNT} and all are taken`,
      );
    await tx.project.update({ where: { id: projectId }, data: { appUid: next } });
    return next;
  });
}
