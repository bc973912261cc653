import { Prisma } from "@prisma/client";
import type { Db } from "./prisma.js";

/** How many uids projects may take from APP_UID_BASE up (documented with APP_UID_BASE). */
export const APP_UID_COUNT = 1_000_000;
const ATTEMPTS = 5;

/**
 * The uid (and gid, the same number) the project's app code runs as: allocated at its first
 * deploy as the next free one from `base` up, recorded on the project, and the same ever after
 * (deploys, retries, rollbacks), so its release directories and HOME stay its own. Two
 * allocations at once meet the unique index; the loser takes the next one.
 */
export async function projectAppUid(db: Db, projectId: string, base: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const found = await db.project.findUnique({
      where: { id: projectId },
      select: { appUid: true, slug: true },
    });
    if (!found) throw new Error(`project ${projectId} does not exist`);
    if (found.appUid !== null) return found.appUid;
    const [row] = await db.$queryRaw<{ next: number }[]>`
      SELECT COALESCE(MAX("appUid") + 1, ${base}::int) AS next
        FROM "Project" WHERE "appUid" >= ${base}::int`;
    const next = Number(row?.next ?? base);
    if (next >= base + APP_UID_COUNT)
      throw new Error(
        `no uid left for project ${found.slug}: APP_UID_BASE ${base} gives ${APP_UID_COUNT} and all are taken`,
      );
    try {
      await db.project.updateMany({
        where: { id: projectId, appUid: null },
        data: { appUid: next },
      });
    } catch (error) {
      const taken = error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
      if (!taken || attempt >= ATTEMPTS) throw error;
    }
  }
}
