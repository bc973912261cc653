/**
 * Runs inside a box, as the app's user, in the box's own network namespace (which reaches
 * nothing on the host's loopback): listens on the documented database addresses and pipes each
 * connection to the host's bridge sockets, then runs the app's command and ends with it.
 *
 *   node /run/coduck/relay.mjs <port> <file> [args…]
 *
 *   127.0.0.1:6432 (DATABASE_URL) → /run/coduck/pooled.sock → PgBouncer, the project's role only
 *   127.0.0.1:5433 (DIRECT_URL)   → /run/coduck/direct.sock → Postgres, the project's role only
 *   <port> > 0 (a release's PORT): 10.0.2.100:PUBLISHED_PORT → 127.0.0.1:<port>, and once the
 *     app listens on <port>, one connection to /run/coduck/published.sock tells the launcher to
 *     forward the host's 127.0.0.1:<port> here.
 *
 * box-relay.c does the same without a Node start-up, and serves wherever it was compiled
 * (box-network.ts): this one is for a host without a C compiler; the two change together.
 * Copied into the box (the worker's package is hidden there), so it imports only node: modules.
 * It passes its environment to the command unchanged and adds nothing to it.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

const BRIDGES = [
  { port: 6432, socket: "/run/coduck/pooled.sock" },
  { port: 5433, socket: "/run/coduck/direct.sock" },
];
/** Where slirp4netns delivers the host's connections to the release (its guest address). */
const GUEST_ADDRESS = "10.0.2.100";
const PUBLISHED_PORT = 65535;
const READY_SOCKET = "/run/coduck/published.sock";
const POLL_MS = 20;

const [portArg, file, ...args] = process.argv.slice(2);
if (!file || !/^\d+$/.test(portArg ?? "")) {
  process.stderr.write("box relay: usage: relay.mjs <port> <file> [args…]\n");
  process.exit(2);
}
const appPort = Number(portArg);

function pipeTo(client: net.Socket, target: net.NetConnectOpts): void {
  const upstream = net.connect(target);
  client.pipe(upstream).pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.once("error", end).once("close", end);
  upstream.once("error", end).once("close", end);
}

function listen(port: number, host: string, to: (client: net.Socket) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer(to);
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
}

/** Resolves once something accepts connections on the app's port inside the box. */
async function appListening(port: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => resolve(true)).once("error", () => resolve(false));
      socket.once("close", () => socket.destroy());
      socket.once("connect", () => socket.destroy());
    });
    if (ok) return;
    await sleep(POLL_MS);
  }
}

for (const bridge of BRIDGES)
  await listen(bridge.port, "127.0.0.1", (client) => pipeTo(client, { path: bridge.socket }));
if (appPort > 0) {
  await listen(PUBLISHED_PORT, GUEST_ADDRESS, (client) =>
    pipeTo(client, { port: appPort, host: "127.0.0.1" }),
  );
  void appListening(appPort).then(() => {
    const ready = net.connect(READY_SOCKET);
    ready.once("connect", () => ready.end()).once("error", () => ready.destroy());
  });
}

// The process group's signals reach the command directly: the relay waits for it to end.
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => {});
const child = spawn(file, args, { stdio: "inherit" });
child.once("error", (error) => {
  process.stderr.write(`box relay: cannot run ${file}: ${error.message}\n`);
  process.exit(127);
});
child.once("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
