import type { Db } from "./prisma.js";
import type { ReleaseSource } from "./release-directories.js";

/** Ids per statement: far under Postgres's limit of bind parameters, one round trip for most. */
const BATCH = 500;

/**
 * What `releaseSource` reads (the deployment, its project's slug and live deployment, its steps
 * by position) for many deployments at once, by id: `retry --all-failed` plans one retry per
 * project listed, and reads them all in a few statements rather than a few per line. A
 * deployment that is not there is absent from the map.
 */
export async function releaseSources(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, ReleaseSource>> {
  const found = new Map<string, ReleaseSource>();
  for (let i = 0; i < ids.length; i += BATCH) {
    const rows: ReleaseSource[] = await db.deployment.findMany({
      where: { id: { in: ids.slice(i, i + BATCH) } },
      include: {
        project: { select: { slug: true, liveDeploymentId: true } },
        steps: { orderBy: { position: "asc" } },
      },
    });
    for (const row of rows) found.set(row.id, row);
  }
  return found;
}
