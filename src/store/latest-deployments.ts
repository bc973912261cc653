import type { Db } from "./prisma.js";

/** Each project's newest deployment (optionally of one project), with its failed step. */
export async function latestDeploymentPerProject(db: Db, project?: string) {
  const projects = await db.project.findMany({
    where: project ? { slug: project } : {},
    orderBy: { slug: "asc" },
    select: {
      slug: true,
      deployments: {
        orderBy: { queuedAt: "desc" },
        take: 1,
        select: {
          id: true,
          status: true,
          errorCode: true,
          finishedAt: true,
          steps: { where: { status: "failed" }, select: { name: true } },
        },
      },
    },
  });
  return projects.flatMap((p) =>
    p.deployments.map((d) => ({ ...d, project: p.slug, failedStep: d.steps[0]?.name ?? null })),
  );
}
