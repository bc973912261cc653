import { isDnsName, isRoutableSlug } from "./route-names.js";

/**
 * The project slug a host names under `appsDomain` (`<slug>.<appsDomain>`, exactly one label
 * more, lowercase, no trailing dot), or undefined for any other host.
 */
export function slugOfHost(host: string, appsDomain: string): string | undefined {
  if (!isDnsName(host) || !isDnsName(appsDomain)) return undefined;
  const suffix = `.${appsDomain}`;
  if (!host.endsWith(suffix)) return undefined;
  const slug = host.slice(0, -suffix.length);
  return isRoutableSlug(slug) ? slug : undefined;
}

/**
 * Caddy's on-demand TLS question: may it get a certificate for `domain`? Only for
 * `<registered slug>.<appsDomain>`; anything else (another domain, more labels, uppercase,
 * a trailing dot, unicode) is refused, so nobody can make Caddy ask a CA for names of theirs.
 */
export function askAllows(
  domain: string,
  appsDomain: string,
  registeredSlugs: ReadonlySet<string>,
): boolean {
  const slug = slugOfHost(domain, appsDomain);
  return slug !== undefined && registeredSlugs.has(slug);
}
