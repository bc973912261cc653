export type Retention = { keep: number; keepDays: number };

type Candidate = { id: string; projectId: string; createdAt: Date };

/**
 * The backups retention lets go: of each project's complete backups, everything but the newest
 * `keep` and those younger than `keepDays` days (a backup is kept if either rule keeps it).
 */
export function backupsToPrune(backups: Candidate[], retention: Retention, now: Date): string[] {
  const youngest = now.getTime() - retention.keepDays * 24 * 3600 * 1000;
  const byProject = new Map<string, Candidate[]>();
  for (const backup of backups) {
    const list = byProject.get(backup.projectId) ?? [];
    list.push(backup);
    byProject.set(backup.projectId, list);
  }
  const pruned: string[] = [];
  for (const list of byProject.values()) {
    list.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    list.forEach((backup, newestFirst) => {
      if (newestFirst >= retention.keep && backup.createdAt.getTime() < youngest)
        pruned.push(backup.id);
    });
  }
  return pruned;
}
