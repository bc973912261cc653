import type { CaddyClient } from "./caddy-client.js";
import {
  coduckServer,
  NOT_FOUND_ID,
  notFoundRoute,
  ROUTES_PATH,
  SERVER_NAME,
  type ServerOptions,
} from "./coduck-server.js";

/**
 * Makes our server exist in the Caddy behind `client`, listening where `options` says, with its
 * catch-all: creates what is missing (apps, http, servers, the server itself) and touches no
 * other server. A server that exists keeps its routes.
 */
export async function ensureCoduckServer(
  client: CaddyClient,
  options: ServerOptions,
): Promise<void> {
  // GET answers null for a missing key and an error for a path under one, so walk down and
  // create at the first level that is missing, in one POST.
  const levels = ["apps", "http", "servers", SERVER_NAME];
  for (let depth = 0; depth < levels.length; depth++) {
    const path = `/config/${levels.slice(0, depth + 1).join("/")}`;
    if ((await client.get(path)) == null) {
      await client.post(path, nested(levels.slice(depth + 1), coduckServer(options)));
      return;
    }
  }
  const server = (await client.get(`/config/apps/http/servers/${SERVER_NAME}`)) as {
    listen?: string[];
    routes?: { "@id"?: string }[];
  };
  if (JSON.stringify(server.listen ?? []) !== JSON.stringify(options.listen))
    await client.patch(`/config/apps/http/servers/${SERVER_NAME}/listen`, options.listen);
  if (!(server.routes ?? []).some((route) => route["@id"] === NOT_FOUND_ID)) {
    // POST appends to an array, and creates a missing key.
    await client.post(ROUTES_PATH, server.routes ? notFoundRoute() : [notFoundRoute()]);
  }
}

/** `{a: {b: leaf}}` for ["a", "b"]; the leaf itself for []. */
function nested(keys: string[], leaf: unknown): unknown {
  return keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf);
}
