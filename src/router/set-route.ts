import { CaddyApiError } from "./caddy-api-error.js";
import type { CaddyClient } from "./caddy-client.js";
import { projectRoute, ROUTES_PATH, readProjectRoute, routeId } from "./coduck-server.js";
import { checkRouteSpec, isSocketUpstream, type RouteSpec } from "./route-names.js";

const MAX_ATTEMPTS = 5;

/** What setRoute did. */
export type SetRouteResult = "added" | "switched" | "unchanged";

/**
 * Routes `host` to `upstream` for the project. A project without a route gets one, ahead of the
 * catch-all; a project with one has its upstream switched by one PATCH of that route's
 * upstreams, so Caddy moves new requests to the new release while requests in flight on the
 * old one complete. A changed host replaces the route in one PATCH too.
 */
export async function setRoute(client: CaddyClient, spec: RouteSpec): Promise<SetRouteResult> {
  checkRouteSpec(spec);
  const id = routeId(spec.project);
  for (let attempt = 1; ; attempt++) {
    const { body, etag } = await client.request("GET", ROUTES_PATH);
    const current = (Array.isArray(body) ? body : [])
      .map(readProjectRoute)
      .find((route) => route?.project === spec.project);
    if (current) {
      if (current.host === spec.host && current.upstream === spec.upstream) return "unchanged";
      // A socket upstream has a transport of its own: a change of kind replaces the route.
      const sameKind = isSocketUpstream(current.upstream) === isSocketUpstream(spec.upstream);
      if (current.host === spec.host && sameKind)
        await client.patch(`/id/${id}/handle/0/upstreams`, [{ dial: spec.upstream }]);
      else await client.patch(`/id/${id}`, projectRoute(spec));
      return "switched";
    }
    try {
      // Inserted first, so it is always ahead of the catch-all; hosts are disjoint, so the order
      // among projects does not matter. If-Match makes a concurrent insert of the same project
      // fail here instead of leaving two routes with one @id (Caddy 2.6 would accept both).
      await client.put(`${ROUTES_PATH}/0`, projectRoute(spec), etag);
      return "added";
    } catch (error) {
      const changedMeanwhile = error instanceof CaddyApiError && error.status === 412;
      if (!changedMeanwhile || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
