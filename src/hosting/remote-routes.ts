import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { listRoutes } from "../router/list-routes.js";
import {
  assertRemoteRoutes,
  checkRemoteRouteSpec,
  type RemoteRouteSpec,
  type RemoteRoutesResult,
} from "../router/remote-route.js";
import { removeRoute } from "../router/remove-route.js";
import type { Db } from "../store/prisma.js";
import { openReleaseHost, type ReleaseHost } from "./release-host.js";

/** What a sync changed, and the projects it would not route (with why). */
export type RemoteRoutesSynced = RemoteRoutesResult & {
  /** Local routes of projects that now live on another host, taken out. */
  localRemoved: string[];
  refused: { project: string; reason: string }[];
};

type SyncConfig = Pick<Config, "dataDir" | "releases" | "host">;

/**
 * The traffic mesh, this host's side: every live project placed on another host is routed
 * through this host's router to that host's router (HOST_ADDRESS), so DNS for *.APPS_DOMAIN
 * may point at any host. Reconciled from Postgres — run on the heartbeat tick and right after
 * a move's switch. A project that lives elsewhere loses its local route here (its release on
 * this host, if any, no longer gets traffic). A host whose address is this host's own, or a
 * loopback port of one of this host's releases, is refused: a remote route only ever reaches
 * another router.
 */
export async function syncRemoteRoutes(
  config: SyncConfig,
  db: Db,
  logger?: Logger,
): Promise<RemoteRoutesSynced> {
  const host = await openReleaseHost(config);
  return syncRemoteRoutesOn(host, config.host, db, logger);
}

/** syncRemoteRoutes on an opened release host's router (tests give their own). */
export async function syncRemoteRoutesOn(
  releaseHost: Pick<ReleaseHost, "router" | "hostOf">,
  self: { id: string; address: string },
  db: Db,
  logger?: Logger,
): Promise<RemoteRoutesSynced> {
  const elsewhere = await db.project.findMany({
    where: { liveDeploymentId: { not: null }, hostId: { not: null, notIn: [self.id] } },
    select: { slug: true, hostId: true, host: { select: { address: true } } },
    orderBy: { slug: "asc" },
  });
  const forbidden = await ownAddresses(db, self);
  const desired: RemoteRouteSpec[] = [];
  const refused: RemoteRoutesSynced["refused"] = [];
  for (const project of elsewhere) {
    const spec = {
      project: project.slug,
      host: releaseHost.hostOf(project.slug),
      hostId: project.hostId!,
      address: project.host?.address ?? "",
    };
    const reason = refusal(spec, forbidden);
    if (reason) refused.push({ project: project.slug, reason });
    else desired.push(spec);
  }
  // Local routes of projects placed elsewhere go first: a local route would win over the remote one.
  const movedAway = new Set(elsewhere.map((project) => project.slug));
  const localRemoved: string[] = [];
  for (const route of await listRoutes(releaseHost.router))
    if (movedAway.has(route.project) && (await removeRoute(releaseHost.router, route.project)))
      localRemoved.push(route.project);
  const result = await assertRemoteRoutes(releaseHost.router, desired, self.id);
  const synced = { ...result, localRemoved, refused };
  if (refused.length > 0) logger?.error({ refused }, "remote routes refused");
  if (result.added.length + result.switched.length + result.removed.length + localRemoved.length)
    logger?.info(synced, "remote routes reconciled with the record");
  return synced;
}

/** Why a spec may not be routed, or undefined when it may. */
function refusal(spec: RemoteRouteSpec, forbidden: ReadonlySet<string>): string | undefined {
  try {
    checkRemoteRouteSpec(spec);
  } catch (error) {
    return (error as Error).message;
  }
  if (forbidden.has(addressKey(spec.address)))
    return `host ${spec.hostId}'s address ${spec.address} is this host's own or one of its releases' ports`;
  return undefined;
}

/** This host's router address and the loopback upstreams of its live releases. */
async function ownAddresses(
  db: Db,
  self: { id: string; address: string },
): Promise<ReadonlySet<string>> {
  // The live releases only (one per project): this runs on every heartbeat, and every
  // deployment that ever went live recorded a port.
  const projects = await db.project.findMany({
    where: {
      liveDeployment: {
        releasePort: { not: null },
        OR: [{ hostId: self.id }, { hostId: null }],
      },
    },
    select: { liveDeployment: { select: { releasePort: true } } },
  });
  const ports = projects.map((project) =>
    addressKey(`127.0.0.1:${project.liveDeployment!.releasePort}`),
  );
  return new Set([addressKey(self.address), ...ports]);
}

/**
 * An address as this machine would dial it: every name of the machine's own loopback or of
 * "any address" (`localhost`, 127.0.0.0/8, `0.0.0.0`, `[::1]`, `[::]`) is one name, so another
 * host's address cannot reach a port of this one by spelling it differently.
 */
export function addressKey(address: string): string {
  const colon = address.lastIndexOf(":");
  const name = address.slice(0, colon).toLowerCase();
  const port = address.slice(colon + 1);
  const loopback =
    name === "localhost" ||
    name === "0.0.0.0" ||
    name === "[::1]" ||
    name === "[::]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
  return `${loopback ? "loopback" : name}:${port}`;
}
