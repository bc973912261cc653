import type { FastifyInstance } from "fastify";

// Scripts and styles only from this server, no inline ones: an escaping slip cannot run code.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Headers every dashboard page gets: a strict CSP, no framing, no caching, no sniffing. */
export function addPageHeaders(app: FastifyInstance): void {
  app.addHook("onSend", async (_request, reply, payload) => {
    if (String(reply.getHeader("content-type") ?? "").startsWith("text/html"))
      reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
    reply
      .header("x-content-type-options", "nosniff")
      .header("x-frame-options", "DENY")
      .header("referrer-policy", "same-origin")
      .header("cache-control", "no-store");
    return payload;
  });
}
