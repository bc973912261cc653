import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export type Health =
  | { healthy: true }
  | { healthy: false; reason: "exited"; code: number | null; signal: string | null }
  | { healthy: false; reason: "timeout"; detail: string };

// Most apps listen within their first seconds: asked often then, a deploy goes live as soon as
// it can (a refused connection on the loopback costs next to nothing); slower apps are asked
// less often.
const FAST_POLL_MS = 20;
const FAST_POLL_FOR_MS = 3_000;
const POLL_MS = 100;

/**
 * Waits until the app listens on its port and, when a health path is set, that path answers
 * 2xx or 3xx; gives up when the app exits or the time is up.
 */
export async function waitUntilHealthy(options: {
  port: number;
  path?: string;
  timeoutMs: number;
  exited: Promise<{ code: number | null; signal: string | null }>;
  signal?: AbortSignal;
}): Promise<Health> {
  let exit: { code: number | null; signal: string | null } | undefined;
  void options.exited.then((e) => {
    exit = e;
  });
  const deadline = Date.now() + options.timeoutMs;
  const fastUntil = Date.now() + FAST_POLL_FOR_MS;
  let detail = `nothing listened on port ${options.port}`;
  while (Date.now() < deadline && !options.signal?.aborted) {
    if (exit) return { healthy: false, reason: "exited", ...exit };
    if (await listens(options.port)) {
      if (!options.path) return { healthy: true };
      const status = await httpStatus(options.port, options.path);
      if (status !== null && status >= 200 && status < 400) return { healthy: true };
      detail = `GET ${options.path} answered ${status ?? "nothing"}`;
    }
    await sleep(Date.now() < fastUntil ? FAST_POLL_MS : POLL_MS);
  }
  if (exit) return { healthy: false, reason: "exited", ...exit };
  return { healthy: false, reason: "timeout", detail };
}

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setTimeout(1_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function httpStatus(port: number, path: string): Promise<number | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      redirect: "manual",
      signal: AbortSignal.timeout(2_000),
    });
    await response.body?.cancel();
    return response.status;
  } catch {
    return null;
  }
}
