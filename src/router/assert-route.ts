import type { CaddyClient } from "./caddy-client.js";
import { routeId } from "./coduck-server.js";
import { deleteRouteById } from "./remove-route.js";
import { checkRouteSpec, type RouteSpec } from "./route-names.js";
import { setRoute } from "./set-route.js";

/** What assertRoute did to a project's route. */
export type RouteChange = "added" | "switched" | "removed" | "unchanged";

/**
 * Makes our server's route of `project` exactly `wanted`, or removes it when null. `present`
 * is what a listing of our routes (listRoutes) read earlier for this project: a single copy
 * equal to `wanted` is left without a request; otherwise Caddy is read again (setRoute), so a
 * listing that went stale meanwhile only costs a request. Two copies of one route, as a crash
 * between two writes could leave, both go and the route starts again from nothing.
 */
export async function assertRoute(
  client: CaddyClient,
  project: string,
  wanted: RouteSpec | null,
  present: readonly RouteSpec[],
): Promise<RouteChange> {
  if (wanted) checkRouteSpec(wanted);
  if (wanted === null) {
    if (present.length === 0) return "unchanged";
    return (await deleteRouteById(client, routeId(project))) ? "removed" : "unchanged";
  }
  const [only, ...more] = present;
  if (more.length > 0) await deleteRouteById(client, routeId(project));
  else if (only?.host === wanted.host && only.upstream === wanted.upstream) return "unchanged";
  const outcome = await setRoute(client, wanted);
  return outcome === "added" && more.length > 0 ? "switched" : outcome;
}
