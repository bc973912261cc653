// A project that lives on another host is served here too: its address is proxied to that
// host's router (its HOST_ADDRESS), which routes it to the release. These routes are kept apart
// from the local ones (their own @id prefix, read and written only here), so the local
// reconcile (assertRoutes) never sees them and they never point at a release of this host.
import { CaddyApiError } from "./caddy-api-error.js";
import type { CaddyClient } from "./caddy-client.js";
import { HOP_HEADER, NOT_FOUND_ID, ROUTES_PATH } from "./coduck-server.js";
import { deleteRouteById } from "./remove-route.js";
import { checkSlug, InvalidRouteError, isDnsName } from "./route-names.js";

/**
 * `coduck_remote-<slug>`: "_" is outside the slug alphabet, so no local route's `coduck-<slug>`
 * is ever one of these (and listRoutes, which reads `coduck-` only, leaves them out).
 */
const REMOTE_ID_PREFIX = "coduck_remote-";

/** A host id as HOST_ID allows it: a lowercase label, at most 63. */
const HOST_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^\[[0-9a-f:.]{2,45}\]$/;

/** A project served by another host: its address here, that host, and where its router listens. */
export type RemoteRouteSpec = {
  project: string;
  /** `<slug>.<APPS_DOMAIN>`, as the local route would have it. */
  host: string;
  /** The host the project lives on (its HOST_ID). */
  hostId: string;
  /** That host's HOST_ADDRESS: `name:port`, `a.b.c.d:port` or `[v6]:port`. */
  address: string;
};

/** The @id of the project's remote route. */
export function remoteRouteId(slug: string): string {
  return `${REMOTE_ID_PREFIX}${slug}`;
}

/** True for `host:port` with a DNS name, an IPv4 or a bracketed IPv6, and a port 1-65535. */
export function isHostAddress(address: string): boolean {
  const match = /^(.+):(\d{1,5})$/.exec(address);
  if (!match) return false;
  const [, name, port] = match as unknown as [string, string, string];
  if (Number(port) < 1 || Number(port) > 65_535) return false;
  return IPV4.test(name) || IPV6.test(name) || isDnsName(name);
}

/** Throws InvalidRouteError unless slug, host, host id and address hold (no placeholder, no socket). */
export function checkRemoteRouteSpec(spec: RemoteRouteSpec): void {
  checkSlug(spec.project);
  if (!spec.host.startsWith(`${spec.project}.`) || !isDnsName(spec.host))
    throw new InvalidRouteError(
      `host: expected ${spec.project}.<domain> in lowercase DNS labels, got ${show(spec.host)}`,
    );
  if (!HOST_ID.test(spec.hostId))
    throw new InvalidRouteError(`host id: expected a lowercase label, got ${show(spec.hostId)}`);
  if (!isHostAddress(spec.address))
    throw new InvalidRouteError(
      `address of host ${spec.hostId}: expected host:port, got ${show(spec.address)}`,
    );
}

/** The remote route in Caddy's JSON; `via` is this host's id, sent in HOP_HEADER. */
export function remoteRoute(spec: RemoteRouteSpec, via: string): Record<string, unknown> {
  return {
    "@id": remoteRouteId(spec.project),
    // Only a request no router has forwarded yet; one that has falls through to the 404.
    match: [{ host: [spec.host], not: [{ header: { [HOP_HEADER]: [] } }] }],
    handle: [
      {
        handler: "reverse_proxy",
        upstreams: [{ dial: spec.address }],
        // The Host header goes through as it came (Caddy's default): the other router routes by it.
        headers: { request: { set: { [HOP_HEADER]: [via] } } },
      },
    ],
    terminal: true,
  };
}

/** Our remote routes as Caddy has them (`via`: the hop header they set), in Caddy's order. */
export async function listRemoteRoutes(
  client: CaddyClient,
): Promise<{ project: string; host: string; address: string; via: string }[]> {
  const routes = (await client.get(ROUTES_PATH)) ?? [];
  if (!Array.isArray(routes)) return [];
  return routes.flatMap((route) => {
    const read = readRemoteRoute(route);
    return read ? [read] : [];
  });
}

function readRemoteRoute(
  route: unknown,
): { project: string; host: string; address: string; via: string } | undefined {
  const r = route as {
    "@id"?: unknown;
    match?: { host?: unknown[] }[];
    handle?: {
      upstreams?: { dial?: unknown }[];
      headers?: { request?: { set?: Record<string, unknown[]> } };
    }[];
  };
  const id = r?.["@id"];
  if (typeof id !== "string" || !id.startsWith(REMOTE_ID_PREFIX)) return undefined;
  const host = r.match?.[0]?.host?.[0];
  const address = r.handle?.[0]?.upstreams?.[0]?.dial;
  const via = r.handle?.[0]?.headers?.request?.set?.[HOP_HEADER]?.[0];
  return {
    project: id.slice(REMOTE_ID_PREFIX.length),
    host: typeof host === "string" ? host : "",
    address: typeof address === "string" ? address : "",
    via: typeof via === "string" ? via : "",
  };
}

/** What assertRemoteRoutes changed, by project slug. */
export type RemoteRoutesResult = { added: string[]; switched: string[]; removed: string[] };

const MAX_ATTEMPTS = 5;

/**
 * Makes our remote routes exactly `desired`: adds the missing (just ahead of the catch-all,
 * so a local route of the same host, inserted first, would win), replaces the changed, removes
 * the rest. Every spec is checked before anything changes; local and foreign routes are left alone.
 */
export async function assertRemoteRoutes(
  client: CaddyClient,
  desired: readonly RemoteRouteSpec[],
  via: string,
): Promise<RemoteRoutesResult> {
  if (!HOST_ID.test(via))
    throw new InvalidRouteError(`this host's id: expected a lowercase label, got ${show(via)}`);
  const wanted = new Map<string, RemoteRouteSpec>();
  for (const spec of desired) {
    checkRemoteRouteSpec(spec);
    if (spec.hostId === via)
      throw new InvalidRouteError(`remote route of ${spec.project}: host ${via} is this host`);
    if (wanted.has(spec.project))
      throw new InvalidRouteError(`assertRemoteRoutes: project ${spec.project} is listed twice`);
    wanted.set(spec.project, spec);
  }
  const result: RemoteRoutesResult = { added: [], switched: [], removed: [] };
  const present = await listRemoteRoutes(client);
  const copies = new Map<string, number>();
  for (const route of present) copies.set(route.project, (copies.get(route.project) ?? 0) + 1);
  const current = new Map(present.map((route) => [route.project, route]));
  for (const [project, count] of copies) {
    const spec = wanted.get(project);
    const route = current.get(project)!;
    const same =
      spec &&
      count === 1 &&
      route.host === spec.host &&
      route.address === spec.address &&
      route.via === via;
    if (same) {
      wanted.delete(project);
      continue;
    }
    await deleteRouteById(client, remoteRouteId(project));
    if (spec) result.switched.push(project);
    else result.removed.push(project);
  }
  for (const spec of wanted.values()) {
    await insertBeforeCatchAll(client, remoteRoute(spec, via));
    if (!copies.has(spec.project)) result.added.push(spec.project);
  }
  return result;
}

/** Removes the project's remote route (every copy); false when it had none. */
export async function removeRemoteRoute(client: CaddyClient, slug: string): Promise<boolean> {
  checkSlug(slug);
  return deleteRouteById(client, remoteRouteId(slug));
}

async function insertBeforeCatchAll(
  client: CaddyClient,
  route: Record<string, unknown>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { body, etag } = await client.request("GET", ROUTES_PATH);
    const routes = Array.isArray(body) ? (body as { "@id"?: unknown }[]) : [];
    const catchAll = routes.findIndex((r) => r?.["@id"] === NOT_FOUND_ID);
    const index = catchAll === -1 ? routes.length : catchAll;
    try {
      // If-Match: a concurrent change of the routes fails this one instead of racing it.
      if (index < routes.length) await client.put(`${ROUTES_PATH}/${index}`, route, etag);
      else await client.request("POST", ROUTES_PATH, route, etag ? { "If-Match": etag } : {});
      return;
    } catch (error) {
      const changedMeanwhile = error instanceof CaddyApiError && error.status === 412;
      if (!changedMeanwhile || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

function show(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
