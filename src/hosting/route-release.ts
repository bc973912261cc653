import { existsSync } from "node:fs";
import type { RouteSpec } from "../router/route-names.js";
import { setRoute } from "../router/set-route.js";
import type { ReleaseHost } from "./release-host.js";
import { pointProjectAt, projectSocket, releaseSocket } from "./release-socket.js";

/** A live release, as routing needs it. */
export type RoutedRelease = { deploymentId: string; port: number };

/**
 * Sends the project's stable address to the release. A sandboxed release is published on its
 * own socket: its project's link is moved to it (one rename) and Caddy's route, which dials the
 * link, is created once and never changes again — a switch reloads nothing. A release without
 * a socket (SANDBOX=off) is reached at its port: the route's upstream is switched in one change
 * of Caddy's configuration. Either way requests in flight finish on the release they reached.
 * Resolves with the project's URL.
 */
export async function routeToRelease(
  host: ReleaseHost,
  slug: string,
  release: RoutedRelease,
): Promise<string> {
  const spec = await releaseRoute(host, slug, release);
  await setRoute(host.router, spec);
  return host.urlOf(slug);
}

/** The route the release should have, its project's link moved to it first when it has a socket. */
export async function releaseRoute(
  host: ReleaseHost,
  slug: string,
  release: RoutedRelease,
): Promise<RouteSpec> {
  const route = { project: slug, host: host.hostOf(slug) };
  if (!existsSync(releaseSocket(host.dataDir, release.deploymentId)))
    return { ...route, upstream: `127.0.0.1:${release.port}` };
  await pointProjectAt(host.dataDir, slug, release.deploymentId);
  return { ...route, upstream: `unix/${projectSocket(host.dataDir, slug)}` };
}
