import type { CaddyClient } from "./caddy-client.js";
import { ROUTES_PATH, readProjectRoute } from "./coduck-server.js";
import type { RouteSpec } from "./route-names.js";

/** Our server's project routes, in Caddy's order (the catch-all and foreign routes left out). */
export async function listRoutes(client: CaddyClient): Promise<RouteSpec[]> {
  const routes = (await client.get(ROUTES_PATH)) ?? [];
  if (!Array.isArray(routes)) return [];
  return routes.map(readProjectRoute).filter((route): route is RouteSpec => route !== undefined);
}
