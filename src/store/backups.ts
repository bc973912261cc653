import { projectHostId } from "./hosts.js";
import type { Db } from "./prisma.js";

export type BackupKind = "manual" | "safety";

export type BackupRecord = {
  id: string;
  project: string;
  kind: string;
  status: string;
  sizeBytes: number | null;
  sha256: string | null;
  databaseSizeBytes: number | null;
  durationMs: number | null;
  requestedBy: string | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
};

const ENDED = ["succeeded", "failed", "pruned"];

/** Records a queued backup of a project; the job that runs it is queued after this commits. */
export async function createBackup(
  db: Db,
  backup: { projectId: string; kind: BackupKind; requestedBy: string; hostId?: string },
): Promise<string> {
  // On the host whose cluster it dumps: given, or its project's.
  const hostId = backup.hostId ?? (await projectHostId(db, backup.projectId));
  const { id } = await db.backup.create({ data: { ...backup, hostId }, select: { id: true } });
  return id;
}

/**
 * Moves a queued backup to running; null when it already ended (a job delivered twice). The
 * caller holds the project's lane, so a backup still `running` was left so by a worker that
 * died mid-dump (its lane went with its connection), and is run again.
 */
export async function claimBackup(db: Db, id: string, storageKey: string) {
  const claimed = await db.backup.updateManyAndReturn({
    where: { id, status: { in: ["queued", "running"] } },
    data: { status: "running", startedAt: new Date(), storageKey },
  });
  return claimed[0] ?? null;
}

export async function finishBackup(
  db: Db,
  id: string,
  end:
    | {
        status: "succeeded";
        sizeBytes: number;
        sha256: string;
        databaseSizeBytes: number;
        durationMs: number;
      }
    | { status: "failed"; error: string; durationMs: number },
): Promise<void> {
  const { status, durationMs } = end;
  await db.backup.update({
    where: { id },
    data:
      end.status === "succeeded"
        ? {
            status,
            durationMs,
            sizeBytes: end.sizeBytes,
            sha256: end.sha256,
            databaseSizeBytes: end.databaseSizeBytes,
            finishedAt: new Date(),
          }
        : { status, durationMs, error: end.error, storageKey: null, finishedAt: new Date() },
  });
}

/** A backup stopped by the worker's shutdown goes back to queued, for the next worker. */
export async function requeueBackup(db: Db, id: string): Promise<void> {
  await db.backup.update({
    where: { id },
    data: { status: "queued", startedAt: null, storageKey: null },
  });
}

export async function getBackup(db: Db, id: string) {
  return db.backup.findUnique({ where: { id }, include: { project: { select: { slug: true } } } });
}

/** A project's backups, newest first, pruned ones left out. */
export async function listBackups(db: Db, projectId: string, limit = 100) {
  return db.backup.findMany({
    where: { projectId, status: { not: "pruned" } },
    orderBy: { createdAt: "desc" },
    take: limit,
    include: { project: { select: { slug: true } } },
  });
}

export function backupEnded(status: string): boolean {
  return ENDED.includes(status);
}

type Row = NonNullable<Awaited<ReturnType<typeof getBackup>>>;

/** The record as the CLI and the dashboard show it. */
export function backupRecord(row: Row): BackupRecord {
  const n = (value: bigint | number | null) => (value === null ? null : Number(value));
  return {
    id: row.id,
    project: row.project.slug,
    kind: row.kind,
    status: row.status,
    sizeBytes: n(row.sizeBytes),
    sha256: row.sha256,
    databaseSizeBytes: n(row.databaseSizeBytes),
    durationMs: row.durationMs,
    requestedBy: row.requestedBy,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
