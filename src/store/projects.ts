import { Prisma } from "@prisma/client";
import type { Db } from "./prisma.js";

export type ProjectSettings = { slug: string; repoUrl: string; branch: string };

/** Why a project could not be registered or changed: shown to the operator as it is. */
export class ProjectConflict extends Error {
  override name = "ProjectConflict";
}

/**
 * Registers a project. Never changes an existing one: a taken slug is a ProjectConflict,
 * and so is a repository branch another project already deploys (a push would not know
 * which project it is for).
 */
export async function addProject(db: Db, project: ProjectSettings) {
  const existing = await db.project.findUnique({ where: { slug: project.slug } });
  if (existing) {
    throw new ProjectConflict(
      `project ${project.slug} already exists (repository ${existing.repoUrl ?? "none"}, branch ${existing.branch}); ` +
        `projects add never changes a project: use coduck-worker projects set ${project.slug} --repo <url> --branch <branch>`,
    );
  }
  await refuseSameBranch(db, project);
  try {
    return await db.project.create({ data: project });
  } catch (error) {
    // Two `projects add` of one slug at once: the loser gets the same answer as above.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
      throw new ProjectConflict(`project ${project.slug} already exists`, { cause: error });
    throw error;
  }
}

/** Changes a registered project's repository or deploy branch; null when there is no such project. */
export async function updateProject(
  db: Db,
  slug: string,
  change: { repoUrl?: string; branch?: string },
) {
  const existing = await db.project.findUnique({ where: { slug } });
  if (!existing) return null;
  const next = {
    slug,
    repoUrl: change.repoUrl ?? existing.repoUrl ?? "",
    branch: change.branch ?? existing.branch,
  };
  if (next.repoUrl) await refuseSameBranch(db, next);
  return db.project.update({ where: { slug }, data: change });
}

async function refuseSameBranch(db: Db, project: ProjectSettings) {
  const twin = (await projectsOfRepository(db, project.repoUrl)).find(
    (p) => p.slug !== project.slug && p.branch === project.branch,
  );
  if (twin) {
    throw new ProjectConflict(
      `project ${twin.slug} already deploys branch ${project.branch} of ${twin.repoUrl}; ` +
        "a push must name exactly one project (choose another --branch)",
    );
  }
}

/**
 * The projects whose repository is the given one, however it is spelled (https, ssh or
 * scp-like, with or without `.git` or a trailing slash).
 */
export async function projectsOfRepository(db: Db, ...urls: string[]) {
  const keys = new Set(urls.map(repositoryKey));
  // Few projects per installation: comparing in memory keeps every spelling of a URL matchable.
  const all = await db.project.findMany({
    where: { repoUrl: { not: null } },
    select: { id: true, slug: true, repoUrl: true, branch: true },
  });
  return all.filter((p) => keys.has(repositoryKey(p.repoUrl!)));
}

/**
 * `host/owner/repo`, lowercased (GitHub's paths are case-insensitive), for a repository URL in
 * any of the forms git accepts; a local path stays itself without trailing slashes or `.git`.
 */
export function repositoryKey(url: string): string {
  const trimmed = url
    .trim()
    .replace(/\/+$/, "")
    .replace(/\.git$/i, "")
    .replace(/\/+$/, "");
  const scp = /^[\w.-]+@([\w.-]+):(?!\/\/)(.+)$/.exec(trimmed);
  if (scp) return `${scp[1]}/${scp[2]!.replace(/^\/+/, "")}`.toLowerCase();
  try {
    const parsed = new URL(trimmed);
    if (parsed.protocol !== "file:" && parsed.hostname)
      return `${parsed.hostname}${parsed.pathname}`.toLowerCase();
    return parsed.pathname;
  } catch {
    return trimmed;
  }
}

export async function listProjects(db: Db) {
  return db.project.findMany({
    orderBy: { slug: "asc" },
    include: {
      database: { select: { databaseName: true, provisionedAt: true } },
      liveDeployment: { select: { id: true, commitSha: true, releasePort: true } },
    },
  });
}

/** One project with its database, its last deploys (newest first) and its live release. */
export async function getProjectOverview(db: Db, slug: string, lastDeploys = 5) {
  return db.project.findUnique({
    where: { slug },
    include: {
      database: { select: { databaseName: true, provisionedAt: true, verifiedAt: true } },
      notificationTarget: { select: { url: true } },
      liveDeployment: {
        select: {
          id: true,
          commitSha: true,
          releasePort: true,
          releasePid: true,
          releaseStartedAt: true,
          degradedCode: true,
        },
      },
      deployments: {
        orderBy: { queuedAt: "desc" },
        take: lastDeploys,
        select: {
          id: true,
          status: true,
          trigger: true,
          ref: true,
          commitSha: true,
          errorCode: true,
          queuedAt: true,
          finishedAt: true,
        },
      },
    },
  });
}
