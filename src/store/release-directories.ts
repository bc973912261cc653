import type { Db } from "./prisma.js";

/** Where an attempt builds its release; retries and rollbacks find it here. */
export async function recordReleaseDir(db: Db, deploymentId: string, dir: string): Promise<void> {
  // Raw: written before the first step, where each ORM query's compile shows.
  await db.$executeRaw`
    UPDATE "Deployment" SET "releaseDir" = ${dir}, "releaseDigest" = NULL, "releaseDigestStep" = NULL
      WHERE id = ${deploymentId}::uuid`;
}

/** The release directory's fingerprint after `step`, the last step that changed it. */
export async function recordReleaseFingerprint(
  db: Db,
  deploymentId: string,
  step: string,
  fingerprint: string | null,
): Promise<void> {
  // Raw, as the step transitions are: once per step that changes the release.
  await db.$executeRaw`
    UPDATE "Deployment" SET "releaseDigest" = ${fingerprint}, "releaseDigestStep" = ${step}
      WHERE id = ${deploymentId}::uuid`;
}

/** The rows beside a deployment that `releaseSource` and `releaseSources` read. */
const RELEASE_SOURCE = {
  project: { select: { slug: true, liveDeploymentId: true, hostId: true } },
  steps: { orderBy: { position: "asc" } },
} as const;

/** What a retry or rollback needs to know about the deployment whose release it would reuse. */
export async function releaseSource(db: Db, id: string) {
  return db.deployment.findUnique({ where: { id }, include: RELEASE_SOURCE });
}

export type ReleaseSource = NonNullable<Awaited<ReturnType<typeof releaseSource>>>;

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
      include: RELEASE_SOURCE,
    });
    for (const row of rows) found.set(row.id, row);
  }
  return found;
}

/** A schema step of the project that ran after `since`, by another deployment. */
export async function laterSchemaRun(db: Db, source: ReleaseSource, since: Date) {
  return db.deploymentStep.findFirst({
    where: {
      name: "schema",
      status: { in: ["succeeded", "failed"] },
      startedAt: { gt: since },
      deployment: { projectId: source.projectId, id: { not: source.id } },
    },
    select: { deploymentId: true },
    orderBy: { startedAt: "desc" },
  });
}

/** Records why an attempt did not reuse the release it was meant to: every step ran. */
export async function clearFromStep(db: Db, deploymentId: string): Promise<void> {
  await db.deployment.update({ where: { id: deploymentId }, data: { fromStep: null } });
}
