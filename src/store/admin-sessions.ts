import type { Db } from "./prisma.js";

// A dashboard session by the hash of its cookie's secret (see http/admin-sessions.ts).

/** Records a session that counts until `expiresAt`. */
export async function createAdminSession(
  db: Db,
  session: { id: string; expiresAt: Date },
): Promise<void> {
  await db.adminSession.create({ data: session });
}

/** Whether the session is recorded, not revoked, and not expired at `now`. */
export async function isLiveAdminSession(db: Db, id: string, now = new Date()): Promise<boolean> {
  const live = await db.adminSession.count({
    where: { id, revokedAt: null, expiresAt: { gt: now } },
  });
  return live > 0;
}

/** Ends a session: from now on its cookie is refused. Revoking twice keeps the first time. */
export async function revokeAdminSession(db: Db, id: string, now = new Date()): Promise<void> {
  await db.adminSession.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
}

/** Forgets sessions that have expired (revoked ones among them): they can never count again. */
export async function deleteExpiredAdminSessions(db: Db, now = new Date()): Promise<number> {
  const { count } = await db.adminSession.deleteMany({ where: { expiresAt: { lte: now } } });
  return count;
}
