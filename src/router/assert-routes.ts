import type { CaddyClient } from "./caddy-client.js";
import { routeId } from "./coduck-server.js";
import { listRoutes } from "./list-routes.js";
import { deleteRouteById } from "./remove-route.js";
import { checkRouteSpec, InvalidRouteError, type RouteSpec } from "./route-names.js";
import { setRoute } from "./set-route.js";

/** What assertRoutes changed, by project slug. */
export type AssertRoutesResult = { added: string[]; switched: string[]; removed: string[] };

/**
 * Makes our server's project routes exactly `desired` (from Postgres' live releases): adds the
 * missing, switches the changed, removes our strays (and a project's duplicate copies). Routes
 * that are not ours are left alone. Every spec is checked before anything changes.
 */
export async function assertRoutes(
  client: CaddyClient,
  desired: readonly RouteSpec[],
): Promise<AssertRoutesResult> {
  const wanted = new Map<string, RouteSpec>();
  for (const spec of desired) {
    checkRouteSpec(spec);
    if (wanted.has(spec.project))
      throw new InvalidRouteError(`assertRoutes: project ${spec.project} is listed twice`);
    wanted.set(spec.project, spec);
  }
  const result: AssertRoutesResult = { added: [], switched: [], removed: [] };
  const present = await listRoutes(client);
  const copies = new Map<string, number>();
  for (const route of present) copies.set(route.project, (copies.get(route.project) ?? 0) + 1);
  for (const [project, count] of copies) {
    // A stray, or two copies of one project's route: both start again from nothing.
    if (!wanted.has(project) || count > 1) {
      await deleteRouteById(client, routeId(project));
      if (!wanted.has(project)) result.removed.push(project);
    }
  }
  for (const spec of wanted.values()) {
    const outcome = await setRoute(client, spec);
    if (outcome === "added" && (copies.get(spec.project) ?? 0) === 0)
      result.added.push(spec.project);
    else if (outcome !== "unchanged") result.switched.push(spec.project);
  }
  return result;
}
