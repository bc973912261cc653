import type { FastifyRequest } from "fastify";

/**
 * Whether a browser says this request comes from a page of this server: its Origin (or, when a
 * browser leaves that out, its Referer) names the host the request was sent to. A request with
 * neither did not come from a page.
 *
 * The host is the Host header, or X-Forwarded-Host when the request came through a proxy that
 * TRUST_PROXY trusts (fastify's `request.host` reads it only then). With TRUST_PROXY the scheme
 * must match too (X-Forwarded-Proto from that proxy); without it the server cannot know the
 * scheme the browser used, and forwarded headers are never read.
 */
export function isSameOrigin(request: FastifyRequest, trustProxy: boolean): boolean | "unknown" {
  const source = request.headers.origin ?? request.headers.referer;
  if (!source || source === "null") return source === "null" ? false : "unknown";
  try {
    // Both as URLs, so a default port (`:80`) written or left out compares equal.
    const origin = new URL(source);
    const scheme = trustProxy ? `${request.protocol}:` : origin.protocol;
    const served = new URL(`${scheme}//${request.host}`);
    return origin.protocol === served.protocol && origin.host === served.host;
  } catch {
    return false;
  }
}
