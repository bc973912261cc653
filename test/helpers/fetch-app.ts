import http from "node:http";

/** A response read whole: its status, headers and body. */
export type AppResponse = {
  status: number;
  headers: http.IncomingHttpHeaders;
  text(): Promise<string>;
  json(): Promise<unknown>;
};

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * GETs (or `init.method`s) a release's URL the way a browser on this machine would: a
 * `<slug>.localhost` host resolves to 127.0.0.1 (RFC 6761), and the URL's host goes out as the
 * Host header, which is what Caddy routes by. Node's fetch does neither (it looks `*.localhost`
 * up in DNS and drops a Host header it is given), hence node:http.
 */
export function fetchApp(
  url: string,
  init: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<AppResponse> {
  const target = new URL(url);
  if (target.protocol !== "http:") throw new Error(`fetchApp: expected an http URL, got ${url}`);
  const hostname = target.hostname.endsWith(".localhost") ? "127.0.0.1" : target.hostname;
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        hostname,
        port: target.port || 80,
        path: `${target.pathname}${target.search}`,
        method: init.method ?? "GET",
        headers: { ...init.headers, host: target.host },
        // No keep-alive: a test's request must not hold a connection to a release it stops.
        agent: false,
        timeout: init.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: async () => body,
            json: async () => JSON.parse(body) as unknown,
          });
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`fetchApp: ${url} timed out`)));
    request.on("error", reject);
    request.end();
  });
}
