import type { FastifyRequest } from "fastify";

/**
 * Whether a browser says this request comes from a page of this server: its Origin (or, when a
 * browser leaves that out, its Referer) names the host the request was sent to. A request with
 * neither did not come from a page.
 */
export function isSameOrigin(request: FastifyRequest): boolean | "unknown" {
  const source = request.headers.origin ?? request.headers.referer;
  if (!source || source === "null") return source === "null" ? false : "unknown";
  try {
    // Both as URLs, so a default port (`:80`) written or left out compares equal.
    const origin = new URL(source);
    return origin.host === new URL(`${origin.protocol}//${request.headers.host ?? ""}`).host;
  } catch {
    return false;
  }
}
