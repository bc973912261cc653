import type { DeploymentStatus, Prisma } from "@prisma/client";
import { FAILURE_CODES, type FailureCode } from "../failures/codes.js";
import type { Db } from "./prisma.js";

const withStepsAndProject = {
  project: { select: { slug: true, liveDeploymentId: true } },
  steps: { orderBy: { position: "asc" } },
} satisfies Prisma.DeploymentInclude;

type LoadedDeployment = Prisma.DeploymentGetPayload<{ include: typeof withStepsAndProject }>;

/** A deployment as the CLI and the API show it. */
export type DeploymentRecord = ReturnType<typeof toRecord>;

function toRecord(d: LoadedDeployment) {
  return {
    id: d.id,
    project: d.project.slug,
    status: d.status,
    trigger: d.trigger,
    repoUrl: d.repoUrl,
    ref: d.ref,
    commitSha: d.commitSha,
    errorCode: d.errorCode,
    hint: d.hint,
    warnings: d.warnings,
    attempt: d.attempt,
    /** How its app commands ran: "bwrap" (sandboxed) or "off" (SANDBOX=off, unsandboxed); null before it ran. */
    sandbox: d.sandbox as "bwrap" | "off" | null,
    /** Who asked: the OS user of a CLI, or what the dashboard or an API caller passes. */
    requestedBy: d.requestedBy,
    /** A retry: the deployment it retries, its number in that chain, the first step run again. */
    retryOf: d.retryOfId ? { id: d.retryOfId, number: d.retryNumber, fromStep: d.fromStep } : null,
    /** A rollback: the earlier deployment whose release it serves again. */
    rollbackTo: d.rollbackToId,
    release: releaseOf(d),
    degraded: degradedOf(d),
    queuedAt: d.queuedAt.toISOString(),
    startedAt: d.startedAt?.toISOString() ?? null,
    finishedAt: d.finishedAt?.toISOString() ?? null,
    steps: d.steps.map((s) => ({
      name: s.name,
      status: s.status,
      command: s.command,
      exitCode: s.exitCode,
      signal: s.signal,
      durationMs: s.durationMs,
      errorCode: s.errorCode,
      hint: s.hint,
      evidence: s.evidence,
      evidenceLine: s.evidenceLine,
      skipReason: s.skipReason,
      logTail: s.logTail,
      startedAt: s.startedAt?.toISOString() ?? null,
      finishedAt: s.finishedAt?.toISOString() ?? null,
    })),
  };
}

export async function getDeploymentRecord(db: Db, id: string): Promise<DeploymentRecord | null> {
  const found = await db.deployment.findUnique({ where: { id }, include: withStepsAndProject });
  return found && toRecord(found);
}

/**
 * The newest `limit` deployments matching the filter, newest first. Each filter has its index
 * (queuedAt; status, queuedAt; errorCode, queuedAt; projectId, queuedAt), so the cost follows
 * `limit`, not the history. The project is looked up by slug first: a filter through the
 * relation would join Project and lose the (projectId, queuedAt) order.
 */
export async function listDeploymentRecords(
  db: Db,
  filter: { status?: DeploymentStatus; project?: string; errorCode?: string; limit: number },
): Promise<DeploymentRecord[]> {
  let projectId: string | undefined;
  if (filter.project) {
    const project = await db.project.findUnique({
      where: { slug: filter.project },
      select: { id: true },
    });
    if (!project) return [];
    projectId = project.id;
  }
  const found = await db.deployment.findMany({
    where: {
      ...(filter.status && { status: filter.status }),
      ...(projectId && { projectId }),
      ...(filter.errorCode && { errorCode: filter.errorCode }),
    },
    orderBy: { queuedAt: "desc" },
    take: filter.limit,
    include: withStepsAndProject,
  });
  return found.map(toRecord);
}

/**
 * The deployment's release while it is the project's live one: the project's stable URL (the
 * upstream's own address for a release that went live before releases were routed), the
 * upstream the router sends it to, and what supervisord did to it.
 */
function releaseOf(d: LoadedDeployment) {
  if (d.project.liveDeploymentId !== d.id || d.releasePort === null || d.releasePid === null)
    return null;
  const upstream = `127.0.0.1:${d.releasePort}`;
  return {
    url: d.releaseUrl ?? `http://${upstream}`,
    upstream,
    port: d.releasePort,
    pid: d.releasePid,
    program: d.releaseProgram,
    startedAt: d.releaseStartedAt?.toISOString() ?? null,
    restarts: d.releaseRestarts,
    lastExit: d.releaseLastExit,
    lastRestartAt: d.releaseLastRestartAt?.toISOString() ?? null,
    crashedAt: d.releaseCrashedAt?.toISOString() ?? null,
  };
}

/** What the runtime watch saw the live release log, with the fix; null while nothing was seen. */
function degradedOf(d: LoadedDeployment) {
  if (d.degradedAt === null || d.degradedCode === null) return null;
  const known = Object.hasOwn(FAILURE_CODES, d.degradedCode);
  return {
    code: d.degradedCode,
    hint: known ? FAILURE_CODES[d.degradedCode as FailureCode].hint : null,
    evidence: d.degradedEvidence,
    at: d.degradedAt.toISOString(),
  };
}
