import type { Db } from "./prisma.js";

/** The levels of the soft storage limit at which a project gets a warning, highest first. */
const LEVELS = [100, 80] as const;

export function storageLevel(sizeBytes: number, limitBytes: number): number {
  return LEVELS.find((level) => sizeBytes * 100 >= limitBytes * level) ?? 0;
}

/**
 * Records a measured database size against the project's soft limit. Crossing 80 % or 100 %
 * upwards records a warning on the project (once per crossing); dropping below 80 % clears it.
 * Returns the warning when this measurement recorded one.
 */
export async function recordStorageLevel(
  db: Db,
  projectId: string,
  sizeBytes: number,
  limitBytes: number,
): Promise<string | null> {
  const level = storageLevel(sizeBytes, limitBytes);
  const project = await db.project.findUnique({
    where: { id: projectId },
    select: { storageLevel: true },
  });
  if (!project || project.storageLevel === level) return null;
  if (level < project.storageLevel) {
    await db.project.update({
      where: { id: projectId },
      data:
        level === 0
          ? { storageLevel: 0, storageWarning: null, storageWarningAt: null }
          : { storageLevel: level },
    });
    return null;
  }
  const warning = storageWarning(sizeBytes, limitBytes, level);
  // Only the measurement that moved the level records it, when several race.
  const moved = await db.project.updateMany({
    where: { id: projectId, storageLevel: project.storageLevel },
    data: { storageLevel: level, storageWarning: warning, storageWarningAt: new Date() },
  });
  return moved.count === 1 ? warning : null;
}

export function storageWarning(sizeBytes: number, limitBytes: number, level: number): string {
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const used = `the database uses ${mb(sizeBytes)}, ${Math.floor((sizeBytes * 100) / limitBytes)} % of its ${mb(limitBytes)} soft limit`;
  return level >= 100
    ? `${used}: over the limit; delete data you no longer need, or raise the limit on a paid plan`
    : `${used}: past 80 %; delete data you no longer need before it reaches the limit`;
}
