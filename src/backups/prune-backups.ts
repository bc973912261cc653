import { tryEnterProjectLane } from "../store/project-lane.js";
import type { BackupStore } from "./backup-store.js";
import { openBackupStore } from "./open-backup-store.js";
import { backupsToPrune } from "./retention.js";
import type { BackupDeps } from "./run-backup.js";

export type Pruned = {
  pruned: { id: string; project: string }[];
  kept: number;
  /** Projects whose lane was taken (a deploy, backup or restore running): pruned next time. */
  busy: string[];
};

/**
 * Deletes the backups of this host's projects that retention lets go (BACKUP_KEEP,
 * BACKUP_KEEP_DAYS) from the store and marks them `pruned`. Each project is pruned inside its lane, so a restore never loses the
 * file it is reading.
 */
export async function pruneBackups(
  deps: BackupDeps & { store?: BackupStore },
  now: Date = new Date(),
): Promise<Pruned> {
  const store = deps.store ?? openBackupStore(deps.config);
  // The backups of the projects placed on this host: each host prunes its own projects' (a
  // moved project's older backups included, in the backup store the hosts share for moves).
  const complete = await deps.db.backup.findMany({
    where: { status: "succeeded", project: { hostId: deps.config.host.id } },
    select: {
      id: true,
      projectId: true,
      createdAt: true,
      storageKey: true,
      project: { select: { slug: true } },
    },
  });
  const doomed = new Set(backupsToPrune(complete, deps.config.backups, now));
  const result: Pruned = { pruned: [], kept: complete.length - doomed.size, busy: [] };
  const projects = new Set(complete.filter((b) => doomed.has(b.id)).map((b) => b.projectId));
  for (const projectId of projects) {
    const ofProject = complete.filter((b) => b.projectId === projectId && doomed.has(b.id));
    const lane = await tryEnterProjectLane(deps.config.databaseUrl, projectId);
    if (!lane) {
      result.busy.push(ofProject[0]!.project.slug);
      result.kept += ofProject.length;
      continue;
    }
    try {
      for (const backup of ofProject) {
        if (backup.storageKey) await store.delete(backup.storageKey);
        await deps.db.backup.update({
          where: { id: backup.id },
          data: { status: "pruned", storageKey: null },
        });
        result.pruned.push({ id: backup.id, project: backup.project.slug });
      }
    } finally {
      await lane.release();
    }
  }
  return result;
}
