import { randomBytes } from "node:crypto";
import { Prisma } from "@prisma/client";
import type { Keyring } from "../secrets/keyring.js";
import { open, seal } from "../secrets/secret-box.js";
import { hasUrlCredentials, redactUrl } from "../secrets/url-credentials.js";
import type { Db } from "./prisma.js";

/** `repoUrl` as given: credentials in it are sealed, and only its redacted form is stored. */
export type ProjectSettings = { slug: string; repoUrl: string; branch: string };

/** A new webhook secret: 32 random bytes in hex, as GitHub's settings page takes it. */
function newWebhookSecret(): string {
  return randomBytes(32).toString("hex");
}

/** The columns that store a repository URL: redacted in the clear, sealed when it had credentials. */
function repoUrlColumns(keyring: Keyring, repoUrl: string) {
  const sealed = hasUrlCredentials(repoUrl) ? seal(keyring, repoUrl) : null;
  return {
    repoUrl: redactUrl(repoUrl),
    repoUrlEncrypted: sealed?.ciphertext ?? null,
    repoUrlKeyVersion: sealed?.keyVersion ?? null,
  };
}

function webhookSecretColumns(keyring: Keyring, secret: string) {
  const sealed = seal(keyring, secret);
  return { webhookSecretEncrypted: sealed.ciphertext, webhookSecretKeyVersion: sealed.keyVersion };
}

/** Why a project could not be registered or changed: shown to the operator as it is. */
export class ProjectConflictError extends Error {
  override name = "ProjectConflictError";
}

/**
 * Registers a project with a new webhook secret of its own, returned in clear to be shown
 * once. Never changes an existing one: a taken slug is a ProjectConflictError, and so is a
 * repository branch another project already deploys (a push would not know which project it
 * is for).
 */
export async function addProject(db: Db, keyring: Keyring, project: ProjectSettings) {
  const existing = await db.project.findUnique({ where: { slug: project.slug } });
  if (existing) {
    throw new ProjectConflictError(
      `project ${project.slug} already exists (repository ${existing.repoUrl ?? "none"}, branch ${existing.branch}); ` +
        `projects add never changes a project: use coduck-worker projects set ${project.slug} --repo <url> --branch <branch>`,
    );
  }
  await refuseSameBranch(db, project);
  const webhookSecret = newWebhookSecret();
  try {
    const created = await db.project.create({
      data: {
        slug: project.slug,
        branch: project.branch,
        ...repoUrlColumns(keyring, project.repoUrl),
        ...webhookSecretColumns(keyring, webhookSecret),
      },
    });
    return { project: created, webhookSecret };
  } catch (error) {
    // Two `projects add` of one slug at once: the loser gets the same answer as above.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
      throw new ProjectConflictError(`project ${project.slug} already exists`, { cause: error });
    throw error;
  }
}

/**
 * Changes a registered project's repository or deploy branch, or makes it a new webhook secret
 * (returned in clear, to be shown once; the old one stops verifying at once). Null when there
 * is no such project.
 */
export async function updateProject(
  db: Db,
  keyring: Keyring,
  slug: string,
  change: { repoUrl?: string; branch?: string; rotateWebhookSecret?: boolean },
) {
  const existing = await db.project.findUnique({ where: { slug } });
  if (!existing) return null;
  const next = {
    slug,
    repoUrl: change.repoUrl ?? existing.repoUrl ?? "",
    branch: change.branch ?? existing.branch,
  };
  if (next.repoUrl) await refuseSameBranch(db, next);
  const webhookSecret = change.rotateWebhookSecret ? newWebhookSecret() : null;
  const project = await db.project.update({
    where: { slug },
    data: {
      ...(change.branch !== undefined && { branch: change.branch }),
      ...(change.repoUrl !== undefined && repoUrlColumns(keyring, change.repoUrl)),
      ...(webhookSecret !== null && webhookSecretColumns(keyring, webhookSecret)),
    },
  });
  return { project, webhookSecret };
}

async function refuseSameBranch(db: Db, project: ProjectSettings) {
  const twin = (await projectsOfRepository(db, project.repoUrl)).find(
    (p) => p.slug !== project.slug && p.branch === project.branch,
  );
  if (twin) {
    throw new ProjectConflictError(
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
    select: {
      id: true,
      slug: true,
      repoUrl: true,
      branch: true,
      webhookSecretEncrypted: true,
      webhookSecretKeyVersion: true,
    },
  });
  return all.filter((p) => keys.has(repositoryKey(p.repoUrl!)));
}

/** A project's own webhook secret in clear; null when it has none (see the global fallback). */
export function projectWebhookSecret(
  keyring: Keyring,
  project: { webhookSecretEncrypted: string | null; webhookSecretKeyVersion: number | null },
): string | null {
  if (project.webhookSecretEncrypted === null || project.webhookSecretKeyVersion === null)
    return null;
  return open(keyring, {
    ciphertext: project.webhookSecretEncrypted,
    keyVersion: project.webhookSecretKeyVersion,
  });
}

/**
 * Where checkout fetches a deployment from: the project's registered URL with its credentials
 * (opened from the keyring) when the deployment is of the project's own repository, however
 * spelled; else the deployment's URL as recorded. `onBranch`: for a push (trigger `webhook`),
 * the project's deploy branch, which the pushed commit must be on; null for a deploy an
 * operator asked for (CLI, retry, rollback), which fetches the ref as asked.
 */
export async function checkoutSource(
  db: Db,
  keyring: Keyring,
  deploymentId: string,
): Promise<{ url: string; onBranch: string | null }> {
  const deployment = await db.deployment.findUniqueOrThrow({
    where: { id: deploymentId },
    select: {
      repoUrl: true,
      trigger: true,
      project: {
        select: { repoUrl: true, repoUrlEncrypted: true, repoUrlKeyVersion: true, branch: true },
      },
    },
  });
  const { project } = deployment;
  const sealed =
    project.repoUrlEncrypted !== null && project.repoUrlKeyVersion !== null
      ? { ciphertext: project.repoUrlEncrypted, keyVersion: project.repoUrlKeyVersion }
      : null;
  const own =
    sealed !== null &&
    project.repoUrl !== null &&
    repositoryKey(project.repoUrl) === repositoryKey(deployment.repoUrl);
  return {
    url: own ? open(keyring, sealed) : deployment.repoUrl,
    onBranch: deployment.trigger === "webhook" ? project.branch : null,
  };
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
