import type { Db } from "./prisma.js";

/** A project with its live deployment, for choosing what a rollback serves again. */
export async function projectWithLive(db: Db, slug: string) {
  return db.project.findUnique({
    where: { slug },
    select: {
      id: true,
      slug: true,
      liveDeployment: {
        select: {
          id: true,
          commitSha: true,
          queuedAt: true,
          rollbackTo: { select: { queuedAt: true } },
        },
      },
    },
  });
}

/** The project's newest succeeded deployment queued before `before`, of another commit. */
export async function newestSucceededBefore(
  db: Db,
  projectId: string,
  before: Date,
  notCommit: string | null,
) {
  return db.deployment.findFirst({
    where: {
      projectId,
      status: "succeeded",
      queuedAt: { lt: before },
      ...(notCommit && { commitSha: { not: notCommit } }),
    },
    orderBy: { queuedAt: "desc" },
    select: { id: true },
  });
}
