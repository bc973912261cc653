import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { CaddyApiError } from "./caddy-api-error.js";

const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Caddy restarts its admin endpoint after every config change and closes the connections it
 * holds, a request in flight on one included (`socket hang up`, `ECONNRESET`): with several
 * deploys changing routes at once, one's change drops another's request. Such a request is sent
 * again, on a fresh connection, this many times at most.
 */
const DROPPED_RETRIES = 4;
const DROPPED_RETRY_MS = 50;

/** Where Caddy's admin API listens: `unix//abs/path.sock` or `host:port`. */
export type CaddyAdminAddress = string;

/** One answer of the admin API: its parsed JSON body, and the ETag Caddy sends as a trailer. */
export type CaddyAnswer = { status: number; body: unknown; etag: string | undefined };

/** JSON in and out of one Caddy's admin API; a refusal throws CaddyApiError. */
export type CaddyClient = {
  readonly address: CaddyAdminAddress;
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<CaddyAnswer>;
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<void>;
  put(path: string, body: unknown, ifMatch?: string): Promise<void>;
  patch(path: string, body: unknown): Promise<void>;
  delete(path: string): Promise<void>;
};

/** A client of the admin API at `address` (`unix//path` or `host:port`). */
export function caddyClient(address: CaddyAdminAddress): CaddyClient {
  const target = adminTarget(address);
  const request: CaddyClient["request"] = async (method, path, body, headers) => {
    for (let retry = 0; ; retry++) {
      try {
        return await send(target, method, path, body, headers);
      } catch (error) {
        if (retry >= DROPPED_RETRIES || !mayResend(method, error)) throw error;
        await sleep(DROPPED_RETRY_MS * (retry + 1));
      }
    }
  };
  return {
    address,
    request,
    get: async (path) => (await request("GET", path)).body,
    post: async (path, body) => void (await request("POST", path, body)),
    put: async (path, body, ifMatch) =>
      void (await request("PUT", path, body, ifMatch ? { "If-Match": ifMatch } : {})),
    patch: async (path, body) => void (await request("PATCH", path, body)),
    delete: async (path) => void (await request("DELETE", path)),
  };
}

/**
 * Whether a request that failed this way may be sent again: one refused at connect (the admin
 * endpoint between its close and its reopening: its socket file gone or not listening) was
 * never sent; one dropped by the restart may have been applied, which is harmless for every
 * method but POST (PUT here inserts only under an If-Match that a replay fails, PATCH and
 * DELETE set what they set). A POST appends: dropped, it is not sent again.
 */
function mayResend(method: string, error: unknown): boolean {
  if (error instanceof CaddyApiError) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED" || code === "ENOENT") return true;
  const dropped = code === "ECONNRESET" || code === "EPIPE" || /socket hang up/.test(String(error));
  return dropped && method !== "POST";
}

type Target =
  | { socketPath: string; host: string }
  | { hostname: string; port: number; host: string };

/**
 * Caddy refuses a request whose Host is not one of the admin listener's own names (DNS
 * rebinding): for a unix socket that is the empty Host, for TCP `host:port` as listened on.
 */
function adminTarget(address: CaddyAdminAddress): Target {
  if (address.startsWith("unix/")) return { socketPath: address.slice("unix/".length), host: "" };
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!match)
    throw new Error(`Caddy admin address: expected unix//path or host:port, got ${address}`);
  const hostname = match[1]!.replace(/^\[|\]$/g, "");
  return { hostname, port: Number(match[2]), host: address };
}

function send(
  target: Target,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<CaddyAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...("socketPath" in target
          ? { socketPath: target.socketPath }
          : { hostname: target.hostname, port: target.port }),
        method,
        path,
        // Node would send "localhost" for a socket: the Host is set by hand.
        setHost: false,
        // A connection of its own: a kept-alive one is closed under the next request by the
        // admin endpoint's restart after any config change.
        agent: false,
        headers: {
          Host: target.host,
          ...(payload === undefined ? {} : { "Content-Type": "application/json" }),
          ...headers,
        },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          const parsed = parseJson(text);
          if (status >= 400) {
            const message =
              parsed && typeof parsed === "object" && "error" in parsed
                ? String((parsed as { error: unknown }).error)
                : text.trim();
            reject(new CaddyApiError(method, path, status, message));
            return;
          }
          const etag = res.trailers.etag ?? res.headers.etag;
          resolve({ status, body: parsed, etag: Array.isArray(etag) ? etag[0] : etag });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`Caddy admin API ${method} ${path}: no answer`)));
    req.on("error", reject);
    req.end(payload);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
