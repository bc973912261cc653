import type { ResourceLimits } from "../exec/resource-limits.js";
import type { Db } from "./prisma.js";

/** What a project's boxes may use: its own limits where it has them, else the worker's. */
export async function projectBoxLimits(
  db: Db,
  projectId: string,
  defaults: ResourceLimits,
): Promise<ResourceLimits> {
  // Raw: read before every deploy's first step, where each ORM query's compile shows.
  const [own] = await db.$queryRaw<OwnLimits[]>`
    SELECT "memoryLimitMb", "pidsLimit", "cpuShares" FROM "Project" WHERE id = ${projectId}::uuid`;
  return {
    memoryBytes: own?.memoryLimitMb ? own.memoryLimitMb * 1024 * 1024 : defaults.memoryBytes,
    pids: own?.pidsLimit ?? defaults.pids,
    cpuShares: own?.cpuShares ?? defaults.cpuShares,
  };
}

/** A project's own limit for each of memory (MiB), processes and CPU shares; null: the worker's default. */
export type OwnLimits = {
  memoryLimitMb: number | null;
  pidsLimit: number | null;
  cpuShares: number | null;
};

/** Sets some of a project's own limits (null clears one); resolves with all three, or null when there is no such project. */
export async function setProjectBoxLimits(
  db: Db,
  slug: string,
  change: Partial<OwnLimits>,
): Promise<OwnLimits | null> {
  const found = await db.project.findUnique({ where: { slug }, select: { id: true } });
  if (!found) return null;
  return db.project.update({
    where: { id: found.id },
    data: change,
    select: { memoryLimitMb: true, pidsLimit: true, cpuShares: true },
  });
}
