import { readFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import type { OwnCaddy } from "../../src/router/ensure-caddy.js";
import { stopCaddy } from "../../src/router/stop-caddy.js";
import { waitFor } from "../helpers/wait-for.js";

/** A TCP port nothing listens on right now (the OS's choice, released at once). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A stand-in release: answers every request with its name, after a short delay, and counts. */
export type FakeRelease = {
  name: string;
  upstream: string;
  served: number;
  close(): Promise<void>;
};

/** Starts a stand-in release on 127.0.0.1; `delayMs` keeps requests in flight across a switch (0: answers at once). */
export async function fakeRelease(name: string, delayMs = 2): Promise<FakeRelease> {
  const release = { name, upstream: "", served: 0, close: async () => {} };
  const answer = (response: http.ServerResponse) => {
    release.served++;
    response.end(name);
  };
  const server = http.createServer((_request, response) => {
    if (delayMs === 0) answer(response);
    else setTimeout(() => answer(response), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  release.upstream = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  release.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return release;
}

/** GET / on 127.0.0.1:`port` with the given Host: status and body, or the error's code. */
export function getWithHost(
  port: number,
  host: string,
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: "127.0.0.1", port, path: "/", headers: { Host: host }, agent: false },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message }),
    );
  });
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a test's own Caddy through its admin API and waits until its process is gone. */
export async function stopTestCaddy(caddy: OwnCaddy): Promise<void> {
  const pid = Number((await readFile(caddy.files.pid, "utf8").catch(() => "")).trim());
  await stopCaddy(caddy.client).catch(() => {});
  if (pid) await waitFor("a test's Caddy to exit", () => !alive(pid), 15_000);
}
