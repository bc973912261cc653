import { UsageError } from "../errors.js";
import type { Db } from "./prisma.js";
import { inTransaction, type Queryable, queryOn, type Sql, type SqlDb } from "./sql-transaction.js";

/**
 * Hosts (issue 24): each worker's machine, registered in Postgres by the worker with a
 * heartbeat. A project lives on one host; its jobs run there (queue/host-queues.ts).
 *
 * Times are Postgres' clock, never a machine's own: a heartbeat is stamped by the database and
 * its age computed there, so hosts whose clocks disagree still agree on who is down.
 */

/** What an operator set: `up`, or `draining` (no new projects placed there). */
export const HOST_INTENTS = ["up", "draining"] as const;
export type HostIntent = (typeof HOST_INTENTS)[number];

/** A host's state as everything shows it (reportedHostState). */
export type HostState = "up" | "draining" | "down";

/** This worker's host, as its config describes it. */
export type HostIdentity = { id: string; address: string; maxProjects: number };

export type HostView = {
  id: string;
  address: string;
  /** The state as reported: `down` when its heartbeat is too old, else its intent. */
  state: HostState;
  /** The operator's intent, kept while the host is down (a draining host that died stays draining). */
  intent: HostIntent;
  heartbeatAt: Date | null;
  /** When the host went down (its last heartbeat); null while up, or when it never sent one. */
  downSince: Date | null;
  startedAt: Date;
  maxProjects: number;
  projects: number;
  diskFreeBytes: bigint | null;
  memoryAvailableBytes: bigint | null;
};

/** Refused placement (`--host` unknown, down or draining; no host to place on): exit 2, one line. */
export class PlacementError extends UsageError {
  override name = "PlacementError";
}

/**
 * The one definition of a host's reported state: `down` when its last heartbeat is older than
 * `downAfterMs` (or it never sent one), else what the operator set (`up`, `draining`).
 */
export function reportedHostState(
  host: { state: string; heartbeatAt: Date | null },
  heartbeatAgeMs: number | null,
  downAfterMs: number,
): { state: HostState; downSince: Date | null } {
  if (heartbeatAgeMs === null || heartbeatAgeMs > downAfterMs)
    return { state: "down", downSince: host.heartbeatAt };
  return { state: host.state === "draining" ? "draining" : "up", downSince: null };
}

/** `down since 2026-12-07 03:12:09 UTC`, or `down (never started)`, for messages. */
export function describeHostState(host: Pick<HostView, "state" | "downSince">): string {
  if (host.state !== "down") return host.state;
  if (!host.downSince) return "down (its worker never started)";
  return `down since ${host.downSince.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

type HostRow = {
  id: string;
  address: string;
  state: string;
  heartbeatMs: number | null;
  startedMs: number;
  maxProjects: number;
  diskFreeBytes: string | bigint | null;
  memoryAvailableBytes: string | bigint | null;
  ageMs: number | null;
  projects: string | bigint | number;
};

const HOSTS_SQL = `
  SELECT h.id, h.address, h.state, h."maxProjects",
         (EXTRACT(EPOCH FROM h."heartbeatAt") * 1000)::float8 AS "heartbeatMs",
         (EXTRACT(EPOCH FROM h."startedAt") * 1000)::float8 AS "startedMs",
         h."diskFreeBytes", h."memoryAvailableBytes",
         (EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC') - h."heartbeatAt")) * 1000)::float8 AS "ageMs",
         (SELECT count(*) FROM "Project" p WHERE p."hostId" = h.id) AS projects
    FROM "Host" h`;

/** Every registered host, by id, with its reported state and project count. */
export async function listHosts(db: Queryable, downAfterMs: number): Promise<HostView[]> {
  return listHostsWith(queryOn(db), downAfterMs);
}

async function listHostsWith(sql: Sql, downAfterMs: number): Promise<HostView[]> {
  const rows = await sql<HostRow>(`${HOSTS_SQL} ORDER BY h.id`);
  return rows.map((row) => {
    const heartbeatAt = row.heartbeatMs === null ? null : new Date(row.heartbeatMs);
    const reported = reportedHostState(
      { state: row.state, heartbeatAt },
      row.ageMs === null ? null : Number(row.ageMs),
      downAfterMs,
    );
    return {
      id: row.id,
      address: row.address,
      state: reported.state,
      intent: row.state === "draining" ? "draining" : "up",
      heartbeatAt,
      downSince: reported.downSince,
      startedAt: new Date(row.startedMs),
      maxProjects: row.maxProjects,
      projects: Number(row.projects),
      diskFreeBytes: row.diskFreeBytes === null ? null : BigInt(row.diskFreeBytes),
      memoryAvailableBytes:
        row.memoryAvailableBytes === null ? null : BigInt(row.memoryAvailableBytes),
    };
  });
}

export async function getHost(
  db: SqlDb,
  id: string,
  downAfterMs: number,
): Promise<HostView | null> {
  return (await listHosts(db, downAfterMs)).find((host) => host.id === id) ?? null;
}

/**
 * A worker's start: its Host row made to match its config (address, capacity), started and
 * heartbeated now. The operator's intent (`draining`) survives restarts.
 */
export async function registerHost(db: Db, host: HostIdentity): Promise<void> {
  await db.$executeRaw`
    INSERT INTO "Host" (id, address, "maxProjects", "startedAt", "heartbeatAt")
    VALUES (${host.id}, ${host.address}, ${host.maxProjects},
            now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
    ON CONFLICT (id) DO UPDATE
       SET address = EXCLUDED.address, "maxProjects" = EXCLUDED."maxProjects",
           "startedAt" = EXCLUDED."startedAt", "heartbeatAt" = EXCLUDED."heartbeatAt"`;
}

/**
 * A host recorded without a heartbeat (reported down until its worker starts there): what a
 * command on a fresh installation does for its own HOST_ID (chooseHost), and test stacks.
 */
export async function addHost(db: SqlDb, host: HostIdentity): Promise<void> {
  await queryOn(db)(
    `INSERT INTO "Host" (id, address, "maxProjects") VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
    [host.id, host.address, host.maxProjects],
  );
}

/** A worker's heartbeat, with what it measured of its machine (null: not measured). */
export async function heartbeatHost(
  db: Db,
  id: string,
  measured: { diskFreeBytes: bigint | null; memoryAvailableBytes: bigint | null },
): Promise<void> {
  await db.$executeRaw`
    UPDATE "Host"
       SET "heartbeatAt" = now() AT TIME ZONE 'UTC',
           "diskFreeBytes" = ${measured.diskFreeBytes},
           "memoryAvailableBytes" = ${measured.memoryAvailableBytes}
     WHERE id = ${id}`;
}

/**
 * `hosts drain` / `hosts undrain`: the operator's intent. Resolves with the host as it is now;
 * throws PlacementError for an unknown host.
 */
export async function setHostIntent(
  db: Db,
  id: string,
  intent: HostIntent,
  downAfterMs: number,
): Promise<HostView> {
  const { count } = await db.host.updateMany({ where: { id }, data: { state: intent } });
  if (count === 0) throw new PlacementError(unknownHost(await listHosts(db, downAfterMs), id));
  return (await getHost(db, id, downAfterMs))!;
}

function unknownHost(known: readonly { id: string }[], id: string): string {
  return known.length === 0
    ? `no host ${id}: no host has registered yet (each worker registers its HOST_ID when it starts)`
    : `no host ${id}; the registered hosts are ${known.map((h) => h.id).join(", ")}`;
}

export type PlacementOptions = {
  /** `projects add --host H`. */
  requested?: string;
  /** The machine the command runs on (its HOST_ID), for an installation with no host yet. */
  self: HostIdentity;
  downAfterMs: number;
};

/** Placement as this machine's config sets it (HOST_ID and its settings), `--host` if given. */
export function placementFor(
  host: HostIdentity & { downAfterMs: number },
  requested?: string,
): PlacementOptions {
  return {
    self: { id: host.id, address: host.address, maxProjects: host.maxProjects },
    downAfterMs: host.downAfterMs,
    ...(requested === undefined ? {} : { requested }),
  };
}

/**
 * Which host a new project goes to. `requested` (`projects add --host H`): that host, which
 * must be registered and up (not draining, not down). Otherwise the up host with the lowest
 * share of its capacity in use (projects / maxProjects; ties by id). With no host up:
 * - exactly one host registered, not draining: that one (a single-host installation whose
 *   worker is stopped; the project's jobs wait for it, as they always did);
 * - none registered at all: `self` (the machine the command runs on, whose worker has not
 *   started yet), registered now without a heartbeat;
 * - else a PlacementError naming each host's state.
 */
export async function chooseHost(sql: Sql, options: PlacementOptions): Promise<string> {
  const hosts = await listHostsWith(sql, options.downAfterMs);
  if (options.requested !== undefined) {
    const host = hosts.find((h) => h.id === options.requested);
    if (!host) throw new PlacementError(unknownHost(hosts, options.requested));
    if (host.state !== "up")
      throw new PlacementError(
        `host ${host.id} is ${describeHostState(host)}: a new project is placed only on a host that is up`,
      );
    return host.id;
  }
  const up = hosts.filter((h) => h.state === "up");
  if (up.length > 0) {
    const load = (h: HostView) => h.projects / h.maxProjects;
    return up.reduce((best, h) => (load(h) < load(best) ? h : best)).id;
  }
  if (hosts.length === 1 && hosts[0]!.intent === "up") return hosts[0]!.id;
  if (hosts.length === 0) {
    await sql(
      `INSERT INTO "Host" (id, address, "maxProjects") VALUES ($1, $2, $3)
       ON CONFLICT (id) DO NOTHING`,
      [options.self.id, options.self.address, options.self.maxProjects],
    );
    return options.self.id;
  }
  throw new PlacementError(
    `no host is up to place a new project on: ${hosts.map((h) => `${h.id} ${describeHostState(h)}`).join("; ")}`,
  );
}

/**
 * The host of a project, placing it first (chooseHost) if it has none: a project is placed
 * once and keeps its host (only a move changes it). Run inside the transaction that holds the
 * project's row locked (FOR UPDATE), so two first deploys place it once.
 */
export async function projectHostIn(
  sql: Sql,
  project: { id: string; slug: string; hostId: string | null },
  options: PlacementOptions,
): Promise<string> {
  if (project.hostId) {
    if (options.requested !== undefined && options.requested !== project.hostId)
      throw new PlacementError(
        `project ${project.slug} already lives on host ${project.hostId}; move it with: coduck-worker projects move ${project.slug} --to ${options.requested} --confirm ${project.slug}`,
      );
    return project.hostId;
  }
  const chosen = await chooseHost(sql, options);
  await sql(`UPDATE "Project" SET "hostId" = $1 WHERE id = $2::uuid`, [chosen, project.id]);
  return chosen;
}

/** projectHostIn in a transaction of its own, for a project recorded already (`projects add`). */
export async function ensureProjectHost(
  db: SqlDb,
  slug: string,
  options: PlacementOptions,
): Promise<string> {
  return inTransaction(db, async (sql) => {
    const [project] = await sql<{ id: string; slug: string; hostId: string | null }>(
      `SELECT id, slug, "hostId" FROM "Project" WHERE slug = $1 FOR UPDATE`,
      [slug],
    );
    if (!project) throw new PlacementError(`no project ${slug}`);
    return projectHostIn(sql, project, options);
  });
}

/**
 * `projects add`: the new project placed on the host chosen for it (chooseHost), unless it has
 * one already. Resolves with its host.
 */
export async function placeProject(db: Db, slug: string, hostId: string): Promise<string> {
  await db.project.updateMany({ where: { slug, hostId: null }, data: { hostId } });
  const row = await db.project.findUniqueOrThrow({ where: { slug }, select: { hostId: true } });
  return row.hostId!;
}

/**
 * A worker's start, for installations from before hosts: when this is the only registered
 * host, projects with no host are placed on it, and their deployments, backups and restores
 * with no host are given their project's. With several hosts nothing is guessed (doctor names
 * the unplaced projects). Resolves with the number of projects adopted.
 */
export async function adoptUnplaced(db: Db, hostId: string): Promise<number> {
  const hosts = await db.host.findMany({ select: { id: true } });
  if (hosts.length !== 1 || hosts[0]!.id !== hostId) return 0;
  const adopted = await db.project.updateMany({ where: { hostId: null }, data: { hostId } });
  await db.$executeRaw`
    UPDATE "Deployment" d SET "hostId" = p."hostId"
      FROM "Project" p WHERE d."projectId" = p.id AND d."hostId" IS NULL AND p."hostId" IS NOT NULL`;
  await db.$executeRaw`
    UPDATE "Backup" b SET "hostId" = p."hostId"
      FROM "Project" p WHERE b."projectId" = p.id AND b."hostId" IS NULL AND p."hostId" IS NOT NULL`;
  await db.$executeRaw`
    UPDATE "Restore" r SET "hostId" = p."hostId"
      FROM "Project" p WHERE r."projectId" = p.id AND r."hostId" IS NULL AND p."hostId" IS NOT NULL`;
  return adopted.count;
}

/** Projects with no host (from before hosts, with several hosts registered): for doctor. */
export async function unplacedProjects(db: Queryable): Promise<string[]> {
  const rows = await queryOn(db)<{ slug: string }>(
    `SELECT slug FROM "Project" WHERE "hostId" IS NULL ORDER BY slug`,
  );
  return rows.map((row) => row.slug);
}

/** The ids of every registered host (whose queues the installation has). */
export async function hostIds(db: SqlDb): Promise<string[]> {
  const rows = await queryOn(db)<{ id: string }>(`SELECT id FROM "Host" ORDER BY id`);
  return rows.map((row) => row.id);
}

/** A project's host; null when it has none (a project from before hosts, not adopted yet). */
export async function projectHostId(db: Db, projectId: string): Promise<string | null> {
  const row = await db.project.findUnique({ where: { id: projectId }, select: { hostId: true } });
  return row?.hostId ?? null;
}

/**
 * The host a job of this record goes to, or a PlacementError naming the project: its record
 * was made, but nothing can run it until the project has a host.
 */
export function requireHost(hostId: string | null, what: string): string {
  if (hostId) return hostId;
  throw new PlacementError(
    `${what}: its project has no host (a project from before hosts, with several hosts registered); see coduck-worker doctor`,
  );
}

/** A project on a host, with what a move of it needs (`hosts drain`). */
export type HostedProject = {
  slug: string;
  /** It has a live release (a move deploys the live one's commit on the target). */
  live: boolean;
  /** Its database is provisioned (a move backs it up and restores it on the target). */
  database: boolean;
  /** The target of its move running now; null when none is. */
  movingTo: string | null;
};

/** The projects placed on a host, by slug, with what a move of each needs. */
export async function projectsOnHost(db: Queryable, hostId: string): Promise<HostedProject[]> {
  const rows = await queryOn(db)<HostedProject>(
    `SELECT p.slug,
            p."liveDeploymentId" IS NOT NULL AS "live",
            d."provisionedAt" IS NOT NULL AS "database",
            (SELECT m."toHostId" FROM "ProjectMove" m
              WHERE m."projectId" = p.id AND m.status = 'running' LIMIT 1) AS "movingTo"
       FROM "Project" p LEFT JOIN "ProjectDatabase" d ON d."projectId" = p.id
      WHERE p."hostId" = $1
      ORDER BY p.slug`,
    [hostId],
  );
  return rows.map((row) => ({ ...row, live: Boolean(row.live), database: Boolean(row.database) }));
}

/**
 * Projects on their way to each host: moves running now, by target. Until its switch a moving
 * project still counts on its source, so a target's room is its projects plus these.
 */
export async function incomingMoves(db: Queryable): Promise<Map<string, number>> {
  const rows = await queryOn(db)<{ toHostId: string; n: string | number | bigint }>(
    `SELECT "toHostId", count(*) AS n FROM "ProjectMove" WHERE status = 'running' GROUP BY 1`,
  );
  return new Map(rows.map((row) => [row.toHostId, Number(row.n)]));
}

/**
 * Where a project leaving `from` goes: the host that is up (not draining, not down), not
 * `from`, with room (projects + incoming moves < maxProjects), with the lowest share of its
 * capacity in use counting the moves on their way to it (ties by id, hosts sorted by id).
 * Null when there is none; whyNoMoveTarget says why.
 */
export function chooseMoveTarget(
  hosts: readonly HostView[],
  from: string,
  incoming: ReadonlyMap<string, number>,
): HostView | null {
  const used = (h: HostView) => h.projects + (incoming.get(h.id) ?? 0);
  const open = hosts.filter((h) => h.id !== from && h.state === "up" && used(h) < h.maxProjects);
  if (open.length === 0) return null;
  const load = (h: HostView) => used(h) / h.maxProjects;
  return open.reduce((best, h) => (load(h) < load(best) ? h : best));
}

/** Why chooseMoveTarget found no host: each other host's state, or that there is none. */
export function whyNoMoveTarget(
  hosts: readonly HostView[],
  from: string,
  incoming: ReadonlyMap<string, number>,
): string {
  const others = hosts.filter((h) => h.id !== from);
  if (others.length === 0) return `no other host is registered than ${from}`;
  const why = others.map((h) => {
    if (h.state !== "up") return `${h.id} ${describeHostState(h)}`;
    const used = h.projects + (incoming.get(h.id) ?? 0);
    return `${h.id} full (${used}/${h.maxProjects} projects, moves on their way included)`;
  });
  return `no other host is up with room: ${why.join("; ")}`;
}

/** A registered host as it is now, or a PlacementError naming the registered ones. */
export async function registeredHost(
  db: Queryable,
  id: string,
  downAfterMs: number,
): Promise<HostView> {
  const hosts = await listHosts(db, downAfterMs);
  const host = hosts.find((h) => h.id === id);
  if (!host) throw new PlacementError(unknownHost(hosts, id));
  return host;
}
