import { projectHostId } from "./hosts.js";
import type { Db } from "./prisma.js";

export type RestoreRecord = {
  id: string;
  project: string;
  projectId: string;
  backupId: string;
  safetyBackupId: string | null;
  status: string;
  requestedBy: string | null;
  error: string | null;
  checks: string[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

export async function createRestore(
  db: Db,
  restore: { projectId: string; backupId: string; requestedBy: string },
): Promise<string> {
  // On the host whose cluster it restores into: its project's.
  const hostId = await projectHostId(db, restore.projectId);
  const { id } = await db.restore.create({ data: { ...restore, hostId }, select: { id: true } });
  return id;
}

/**
 * Moves a queued restore to running. Returns "running" for a restore a dead worker left
 * running (the caller holds the lane, so nothing else runs it), null when it already ended.
 */
export async function claimRestore(db: Db, id: string): Promise<"claimed" | "running" | null> {
  const claimed = await db.restore.updateMany({
    where: { id, status: "queued" },
    data: { status: "running", startedAt: new Date() },
  });
  if (claimed.count === 1) return "claimed";
  const row = await db.restore.findUnique({ where: { id }, select: { status: true } });
  return row?.status === "running" ? "running" : null;
}

export async function noteSafetyBackup(db: Db, id: string, safetyBackupId: string) {
  await db.restore.update({ where: { id }, data: { safetyBackupId } });
}

export async function finishRestore(
  db: Db,
  id: string,
  end: { status: "succeeded" | "failed"; checks: string[]; error?: string },
): Promise<void> {
  await db.restore.update({
    where: { id },
    data: { ...end, error: end.error ?? null, finishedAt: new Date() },
  });
}

export async function getRestoreRecord(db: Db, id: string): Promise<RestoreRecord | null> {
  const row = await db.restore.findUnique({
    where: { id },
    include: { project: { select: { slug: true } } },
  });
  if (!row) return null;
  return {
    id: row.id,
    project: row.project.slug,
    projectId: row.projectId,
    backupId: row.backupId,
    safetyBackupId: row.safetyBackupId,
    status: row.status,
    requestedBy: row.requestedBy,
    error: row.error,
    checks: row.checks,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
