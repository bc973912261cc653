// The shape of the HTTP server the router owns inside Caddy: its name, the @ids it tags, the
// catch-all that ends its routes, and each project's route. Everything else in a Caddy's config
// (another server, another app) is someone else's and is never read or written here.
import { isSocketUpstream, type RouteSpec } from "./route-names.js";

/** The name of our server in `apps.http.servers`. */
export const SERVER_NAME = "coduck";

/** The admin API path of our server's routes. */
export const ROUTES_PATH = `/config/apps/http/servers/${SERVER_NAME}/routes`;

/** The @id of the catch-all: "_" is outside the slug alphabet, so no project's id is the same. */
export const NOT_FOUND_ID = "coduck_not_found";

const ROUTE_ID_PREFIX = "coduck-";

/** A project's route @id: `coduck-<slug>`. */
export function routeId(slug: string): string {
  return `${ROUTE_ID_PREFIX}${slug}`;
}

/** How our server listens and whether Caddy manages certificates for it. */
export type ServerOptions = {
  /** Caddy listen addresses, e.g. [":8080"] or ["127.0.0.1:8080"]. */
  listen: string[];
  /** false (the local default) turns Caddy's automatic HTTPS off for our server. */
  automaticHttps: boolean;
};

/** Our server, with no project routes yet: only the catch-all. */
export function coduckServer(options: ServerOptions): Record<string, unknown> {
  return {
    listen: options.listen,
    ...(options.automaticHttps ? {} : { automatic_https: { disable: true } }),
    routes: [notFoundRoute()],
  };
}

/** The last route: any host without a project answers 404 with a line saying so. */
export function notFoundRoute(): Record<string, unknown> {
  return {
    "@id": NOT_FOUND_ID,
    handle: [
      {
        handler: "static_response",
        status_code: 404,
        headers: { "Content-Type": ["text/plain; charset=utf-8"] },
        body: "no app at this address\n",
      },
    ],
  };
}

/** A project's route in Caddy's JSON: its host, proxied to its upstream. */
/**
 * Set on every request a remote route forwards. A request that already carries it came from
 * another host's router: it is never forwarded again (two hosts that disagree for a moment
 * about where a project lives answer 404 instead of passing it back and forth). A local route
 * removes it: the app never learns which host passed its request on.
 */
export const HOP_HEADER = "X-Coduck-Hop";

export function projectRoute(spec: RouteSpec): Record<string, unknown> {
  return {
    "@id": routeId(spec.project),
    match: [{ host: [spec.host] }],
    handle: [
      {
        handler: "reverse_proxy",
        upstreams: [{ dial: spec.upstream }],
        headers: { request: { delete: [HOP_HEADER] } },
        // Through a socket link that moves at each go-live: a new connection per request
        // follows the link, where a pooled one would keep reaching the release it was made to.
        ...(isSocketUpstream(spec.upstream) && {
          transport: { protocol: "http", keep_alive: { enabled: false } },
        }),
      },
    ],
    terminal: true,
  };
}

/** The route read back as a RouteSpec, or undefined for a route that is not a project's of ours. */
export function readProjectRoute(route: unknown): RouteSpec | undefined {
  const r = route as {
    "@id"?: unknown;
    match?: { host?: unknown[] }[];
    handle?: { upstreams?: { dial?: unknown }[] }[];
  };
  const id = r?.["@id"];
  if (typeof id !== "string" || !id.startsWith(ROUTE_ID_PREFIX)) return undefined;
  const host = r.match?.[0]?.host?.[0];
  const upstream = r.handle?.[0]?.upstreams?.[0]?.dial;
  return {
    project: id.slice(ROUTE_ID_PREFIX.length),
    host: typeof host === "string" ? host : "",
    upstream: typeof upstream === "string" ? upstream : "",
  };
}
