import type { Deployment, DeploymentStatus, DeploymentStep, Prisma } from "@prisma/client";
import { FAILURE_CODES, type FailureCode } from "../failures/codes.js";
import type { Db } from "./prisma.js";
import { queryOn, type SqlDb } from "./sql-transaction.js";

const withStepsAndProject = {
  project: { select: { slug: true, liveDeploymentId: true } },
  steps: { orderBy: { position: "asc" } },
} satisfies Prisma.DeploymentInclude;

/** The columns a record is made of: what toRecord reads, and what the plain-SQL reader selects. */
const DEPLOYMENT_COLUMNS = [
  "id",
  "status",
  "trigger",
  "repoUrl",
  "ref",
  "commitSha",
  "errorCode",
  "hint",
  "warnings",
  "attempt",
  "sandbox",
  "requestedBy",
  "retryOfId",
  "retryNumber",
  "fromStep",
  "rollbackToId",
  "releasePort",
  "releasePid",
  "releaseUrl",
  "releaseProgram",
  "releaseStartedAt",
  "releaseRestarts",
  "releaseLastExit",
  "releaseLastRestartAt",
  "releaseCrashedAt",
  "degradedAt",
  "degradedCode",
  "degradedEvidence",
  "queuedAt",
  "startedAt",
  "finishedAt",
] as const satisfies readonly (keyof Deployment)[];
const PROJECT_COLUMNS = ["slug", "liveDeploymentId"] as const;
const STEP_COLUMNS = [
  "name",
  "status",
  "command",
  "exitCode",
  "signal",
  "durationMs",
  "errorCode",
  "hint",
  "evidence",
  "evidenceLine",
  "skipReason",
  "logTail",
  "startedAt",
  "finishedAt",
] as const satisfies readonly (keyof DeploymentStep)[];
/** Read as epoch milliseconds (they hold UTC without a time zone, as Prisma writes them). */
const TIME_COLUMNS = new Set<string>([
  "queuedAt",
  "startedAt",
  "finishedAt",
  "releaseStartedAt",
  "releaseLastRestartAt",
  "releaseCrashedAt",
  "degradedAt",
]);
/** Read as text: uuids and enums, which either driver otherwise maps its own way. */
const TEXT_COLUMNS = new Set<string>([
  "id",
  "status",
  "retryOfId",
  "rollbackToId",
  "liveDeploymentId",
]);

/** What a record is made from: Prisma's loaded deployment, or the plain-SQL reader's rows. */
type RecordSource = Pick<Deployment, (typeof DEPLOYMENT_COLUMNS)[number]> & {
  project: { slug: string; liveDeploymentId: string | null };
  steps: Pick<DeploymentStep, (typeof STEP_COLUMNS)[number]>[];
};

/** A deployment as the CLI and the API show it. */
export type DeploymentRecord = ReturnType<typeof toRecord>;

function toRecord(d: RecordSource) {
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

function selected(table: string, column: string, as: string): string {
  const ref = `${table}."${column}"`;
  if (TIME_COLUMNS.has(column)) return `(EXTRACT(EPOCH FROM ${ref}) * 1000)::float8 AS "${as}"`;
  return `${ref}${TEXT_COLUMNS.has(column) ? "::text" : ""} AS "${as}"`;
}

/**
 * Deployments (`$1`, uuids), their projects' columns and one of their steps a row (none: a
 * row of nulls), the newest first, each one's steps by position.
 */
const RECORDS_SQL = `
  SELECT ${[
    ...DEPLOYMENT_COLUMNS.map((c) => selected("d", c, c)),
    ...PROJECT_COLUMNS.map((c) => selected("p", c, `project.${c}`)),
    ...STEP_COLUMNS.map((c) => selected("s", c, `step.${c}`)),
  ].join(", ")}
    FROM "Deployment" d
    JOIN "Project" p ON p.id = d."projectId"
    LEFT JOIN "DeploymentStep" s ON s."deploymentId" = d.id
   WHERE d.id = ANY($1::uuid[])
   ORDER BY d."queuedAt" DESC, d.id, s.position`;

const timeOf = (value: unknown) => (value === null ? null : new Date(Number(value)));

/**
 * The records of these deployments (those that exist), newest first, in one plain-SQL
 * statement on either connection: the CLI's commands that only read (and `deploy --wait`)
 * then never load Prisma (see SqlDb). The same records as getDeploymentRecord makes.
 */
async function readDeploymentRecords(
  db: SqlDb,
  ids: readonly string[],
): Promise<DeploymentRecord[]> {
  if (ids.length === 0) return [];
  const rows = await queryOn(db)<Record<string, unknown>>(RECORDS_SQL, [ids]);
  const pick = (row: Record<string, unknown>, columns: readonly string[], prefix: string) =>
    Object.fromEntries(
      columns.map((c) => {
        const value = row[`${prefix}${c}`] ?? null;
        return [c, TIME_COLUMNS.has(c) ? timeOf(value) : value];
      }),
    );
  const byId = new Map<
    unknown,
    { first: Record<string, unknown>; steps: Record<string, unknown>[] }
  >();
  for (const row of rows) {
    const entry = byId.get(row.id) ?? { first: row, steps: [] };
    byId.set(row.id, entry);
    if (row["step.name"] !== null) entry.steps.push(pick(row, STEP_COLUMNS, "step."));
  }
  return [...byId.values()].map(({ first, steps }) =>
    toRecord({
      ...pick(first, DEPLOYMENT_COLUMNS, ""),
      project: pick(first, PROJECT_COLUMNS, "project."),
      steps,
    } as RecordSource),
  );
}

/** One deployment's record (readDeploymentRecords), or null. */
export async function readDeploymentRecord(
  db: SqlDb,
  id: string,
): Promise<DeploymentRecord | null> {
  return (await readDeploymentRecords(db, [id]))[0] ?? null;
}

/**
 * The newest `limit` deployments matching the filter, newest first, on either connection. Each
 * filter has its index (queuedAt; status, queuedAt; errorCode, queuedAt; projectId, queuedAt),
 * so the cost follows `limit`, not the history. The project is looked up by slug first (a
 * scalar subquery, run once): a filter through a join with Project would lose the (projectId,
 * queuedAt) order. The filter's values are parameters, never SQL.
 */
export async function listDeploymentRecords(
  db: SqlDb,
  filter: { status?: DeploymentStatus; project?: string; errorCode?: string; limit: number },
): Promise<DeploymentRecord[]> {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.status) where.push(`d.status = ${param(filter.status)}::"DeploymentStatus"`);
  if (filter.project)
    where.push(`d."projectId" = (SELECT id FROM "Project" WHERE slug = ${param(filter.project)})`);
  if (filter.errorCode) where.push(`d."errorCode" = ${param(filter.errorCode)}`);
  const ids = await queryOn(db)<{ id: string }>(
    `SELECT d.id::text AS id FROM "Deployment" d
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY d."queuedAt" DESC, d.id LIMIT ${param(filter.limit)}::int`,
    values,
  );
  return readDeploymentRecords(
    db,
    ids.map((row) => row.id),
  );
}

/**
 * The deployment's release while it is the project's live one: the project's stable URL (the
 * upstream's own address for a release that went live before releases were routed), the
 * upstream the router sends it to, and what supervisord did to it.
 */
function releaseOf(d: RecordSource) {
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
function degradedOf(d: RecordSource) {
  if (d.degradedAt === null || d.degradedCode === null) return null;
  const known = Object.hasOwn(FAILURE_CODES, d.degradedCode);
  return {
    code: d.degradedCode,
    hint: known ? FAILURE_CODES[d.degradedCode as FailureCode].hint : null,
    evidence: d.degradedEvidence,
    at: d.degradedAt.toISOString(),
  };
}
