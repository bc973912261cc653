import { setRoute } from "../router/set-route.js";
import type { ReleaseHost } from "./release-host.js";

/**
 * Sends the project's stable address to the release on `port` (127.0.0.1): creates the route
 * at the first go-live, and later switches its upstream in one change, so requests already in
 * flight finish on the release they reached. Resolves with the project's URL.
 */
export async function routeToRelease(
  host: ReleaseHost,
  slug: string,
  port: number,
): Promise<string> {
  await setRoute(host.router, {
    project: slug,
    host: host.hostOf(slug),
    upstream: `127.0.0.1:${port}`,
  });
  return host.urlOf(slug);
}
