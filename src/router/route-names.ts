// Everything of a project that goes into Caddy's config passes here first: a slug, a host and an
// upstream are checked against the shapes below, so no user-controlled text reaches the config
// (or a path of the admin API) unchecked.

/** One DNS label in lowercase: letters, digits, inner hyphens, at most 63 characters. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_HOST_LENGTH = 253;
const UPSTREAM = /^127\.0\.0\.1:(\d{1,5})$/;
/** A unix socket of ours, `unix//abs/path.sock`, in characters Caddy's config reads as written. */
const SOCKET_UPSTREAM = /^unix\/\/[A-Za-z0-9._/@+,=:~-]{1,200}\.sock$/;

/** Whether the upstream is a unix socket (a release's published socket, through its project's link). */
export function isSocketUpstream(upstream: string): boolean {
  return SOCKET_UPSTREAM.test(upstream) && !upstream.includes("/../");
}

/** A project's route as the router keeps it: its stable host and the release it sends to. */
export type RouteSpec = { project: string; host: string; upstream: string };

/** A slug, host or upstream that may not go into Caddy's config, with what was expected. */
export class InvalidRouteError extends Error {
  override name = "InvalidRouteError";
}

/** True for a slug that is also a DNS label: [a-z0-9-], no leading or trailing hyphen, ≤ 63. */
export function isRoutableSlug(slug: string): boolean {
  return LABEL.test(slug);
}

/** True for a lowercase DNS name of one or more labels, no trailing dot, ≤ 253 characters. */
export function isDnsName(name: string): boolean {
  return name.length <= MAX_HOST_LENGTH && name.split(".").every((label) => LABEL.test(label));
}

/** `<slug>.<appsDomain>`, the project's stable host; throws InvalidRouteError on a bad part. */
export function projectHost(slug: string, appsDomain: string): string {
  checkSlug(slug);
  if (!isDnsName(appsDomain))
    throw new InvalidRouteError(
      `apps domain: expected lowercase DNS labels, got ${show(appsDomain)}`,
    );
  const host = `${slug}.${appsDomain}`;
  if (!isDnsName(host)) throw new InvalidRouteError(`host ${show(host)} is longer than 253`);
  return host;
}

/** Throws InvalidRouteError unless the route's slug, host (`<slug>.<domain>`) and upstream hold. */
export function checkRouteSpec(spec: RouteSpec): void {
  checkSlug(spec.project);
  if (!spec.host.startsWith(`${spec.project}.`) || !isDnsName(spec.host))
    throw new InvalidRouteError(
      `host: expected ${spec.project}.<domain> in lowercase DNS labels, got ${show(spec.host)}`,
    );
  if (isSocketUpstream(spec.upstream)) return;
  const port = UPSTREAM.exec(spec.upstream)?.[1];
  if (!port || Number(port) < 1 || Number(port) > 65_535)
    throw new InvalidRouteError(
      `upstream: expected 127.0.0.1:<port> or unix//<path>.sock, got ${show(spec.upstream)}`,
    );
}

/** Throws InvalidRouteError unless `slug` is routable (isRoutableSlug). */
export function checkSlug(slug: string): void {
  if (!isRoutableSlug(slug))
    throw new InvalidRouteError(
      `project slug: expected lowercase letters, digits and inner hyphens (at most 63), got ${show(slug)}`,
    );
}

// A refused value is quoted, cut short: it may be anything.
function show(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
