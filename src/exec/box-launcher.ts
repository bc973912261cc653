/**
 * The host side of one box's network, one process per sandboxed command (step or release):
 *
 *   node box-launcher.js '<LaunchSpec JSON>' -- <bwrap args…>     (a release's, under supervisord)
 *   node box-launcher.js --request-on-stdin <idle ms>            (a step's: ready-launcher.ts)
 *
 * With --request-on-stdin it waits, started ahead of its box, for one LaunchRequest as JSON on
 * its stdin, to its end (ending quietly when none came within <idle ms>); the box's stdin is
 * then /dev/null.
 * Starts bwrap in a network namespace of its own (`unshare --net`: bwrap's own --unshare-net
 * would race slirp4netns setting up the loopback), held before the command runs until
 * slirp4netns has given that namespace its loopback and its egress (the internet, never the
 * host's); serves the box's database bridges (unix sockets in the box directory, each
 * connected on to PgBouncer or Postgres only after the client's startup packet names the
 * project's own role and database); for a release, forwards the host's 127.0.0.1:<port> into
 * the box once the app listens. With limits (as root), the box runs in a cgroup of its own
 * (box-cgroup.ts), entered before anything of the box runs; when the kernel killed in it for
 * memory, the last line on stderr says so and names the limit. Ends with bwrap's exit status
 * and removes the box directory and the cgroup.
 * It passes its own environment (fixed by the worker) to bwrap; slirp4netns gets PATH only.
 * Stays in the caller's process group, so signals to the group reach everything; slirp4netns
 * ends when this process does (its exit fd closes).
 */
import { spawn } from "node:child_process";
import { lookup } from "node:dns/promises";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  fstatSync,
  mkdirSync,
  openSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import {
  type BoxCgroup,
  createBoxCgroup,
  enterCommand,
  memoryKills,
  removeBoxCgroup,
} from "./box-cgroup.js";
import { errorResponse, readStartup } from "./postgres-startup.js";
import { outOfMemoryLine, type ResourceLimits } from "./resource-limits.js";

export type Bridge = {
  /** The socket's name in the box directory: pooled.sock, direct.sock. */
  name: string;
  host: string;
  port: number;
  /** The only role and database a connection may ask for. */
  user: string;
  database: string;
};

export type LaunchSpec = {
  slirp4netns: string;
  /** Created here, bind-mounted at /run/coduck in the box, removed at the end. */
  boxDir: string;
  /** The built box-relay.js, copied into the box directory as relay.mjs; null: the native relay (bound by bwrap). */
  relay: string | null;
  bridges: Bridge[];
  /** A release's PORT: forwarded from the host's 127.0.0.1 once the app listens on it. */
  publishPort: number | null;
  /**
   * A release's address for the router: a unix socket on the host, each connection to it
   * passed to the published port. The router reaches the project through a link to the live
   * release's socket, so a switch never changes the router's configuration.
   */
  publishSocket: string | null;
  /** The box's memory, processes and CPU share, in a cgroup of its own; null: none (not root). */
  limits: ResourceLimits | null;
  /**
   * slirp-backlog.so, preloaded into slirp4netns when a port is published: libslirp listens
   * for the host's connections with a backlog of 1, and a burst of them was reset. Null: not
   * built (no C compiler), or nothing published.
   */
  slirpPreload?: string | null;
};

/** What a launcher started ahead is told, on its stdin, once its box is wanted. */
export type LaunchRequest = {
  spec: LaunchSpec;
  bwrap: string;
  bwrapArgs: string[];
  /**
   * The box's stdout: a file the worker holds open, reopened through /proc (the worker's
   * `/proc/<pid>/fd/<fd>`, opened for appending) and used only if it is still that file (its
   * device and inode); null: this launcher's own stdout.
   */
  stdout: { path: string; dev: number; ino: number } | null;
};

const STARTUP_TIMEOUT_MS = 10_000;
/** How long slirp4netns and the routes may take before the box is given up. */
const NETWORK_READY_MS = 20_000;
/** The relay's listener for forwarded connections (box-relay.ts). */
const GUEST_ADDRESS = "10.0.2.100";
const PUBLISHED_PORT = 65535;

function say(line: string): void {
  process.stderr.write(`box network: ${line}\n`);
}

/** One connection from the box to a bridge: checked, then piped on, or refused. */
function serveBridge(bridge: Bridge, client: net.Socket): void {
  let buffered: Buffer = Buffer.alloc(0);
  let encryptionRequests = 0;
  const timer = setTimeout(() => client.destroy(), STARTUP_TIMEOUT_MS);
  const refuse = (message: string) => {
    clearTimeout(timer);
    client.off("data", onData);
    client.end(errorResponse("28000", message), () => client.destroy());
  };
  const connectOn = (packet: Buffer) => {
    clearTimeout(timer);
    client.off("data", onData);
    client.pause();
    let connected = false;
    const upstream = net.connect(bridge.port, bridge.host, () => {
      connected = true;
      upstream.write(packet);
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    // Unreachable: said as Postgres would (08006), so the app and the classifier see why.
    upstream.once("error", (error: NodeJS.ErrnoException) => {
      if (connected) return end();
      const message = `could not connect to server (${error.code ?? error.message})`;
      client.end(errorResponse("08006", message), () => client.destroy());
      upstream.destroy();
    });
    upstream.once("close", () => connected && end());
    client.once("close", end);
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const read = readStartup(buffered, encryptionRequests);
      if (read.kind === "more") {
        if (read.reply) client.write(read.reply);
        buffered = read.rest;
        encryptionRequests = read.encryptionRequests;
        if (read.reply && buffered.length > 0) continue;
        return;
      }
      if (read.kind === "refused") return refuse(`CoDuck database bridge: ${read.reason}`);
      if (read.kind === "cancel") return connectOn(read.packet);
      if (
        read.user !== bridge.user ||
        read.database !== bridge.database ||
        read.params.has("replication")
      )
        return refuse(
          `CoDuck: this app may connect only as role "${bridge.user}" to database "${bridge.database}"`,
        );
      return connectOn(read.packet);
    }
  };
  client.on("data", onData);
  client.on("error", () => client.destroy());
}

function listenUnix(file: string, handle: (client: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer(handle);
    server.once("error", reject);
    server.listen(file, () => {
      // Connectable by the app's user inside the box; nobody else sees the directory.
      chmodSync(file, 0o666);
      resolve(server);
    });
  });
}

/** One connection to the release's socket, passed to the release's published port. */
function forward(client: net.Socket, port: number): void {
  const upstream = net.connect(port, "127.0.0.1");
  client.pipe(upstream).pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.once("error", end);
  upstream.once("error", end);
  client.once("close", end);
  upstream.once("close", end);
}

/** The first JSON object bwrap writes on its info fd: the box's first process. */
function childPid(info: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = "";
    info.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
      else if (text.length > 4096) reject(new Error("bwrap's info is not what was expected"));
    });
    info.once("end", () => reject(new Error("bwrap ended before its box started")));
  });
}

/**
 * slirp4netns' control socket: beside the box directory, not in it, so the box cannot ask for
 * a port of the host (add_hostfwd) itself.
 */
function apiSocket(spec: LaunchSpec): string {
  return `${spec.boxDir}.slirp.sock`;
}

/** Starts slirp4netns on the box's namespace; resolves once its tap device is up. */
function startSlirp(spec: LaunchSpec, pid: number): Promise<void> {
  const args = ["--configure", "--mtu=65520", "--disable-host-loopback"];
  args.push("--enable-sandbox", "--enable-seccomp", "--ready-fd=3", "--exit-fd=4");
  if (spec.publishPort) args.push(`--api-socket=${apiSocket(spec)}`);
  args.push(String(pid), "tap0");
  const slirp = spawn(spec.slirp4netns, args, {
    env: {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      ...(spec.slirpPreload && { LD_PRELOAD: spec.slirpPreload }),
    },
    stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
    detached: true,
  });
  slirp.unref();
  for (const stream of slirp.stdio.slice(2)) (stream as Readable & { unref?(): void }).unref?.();
  let errors = "";
  slirp.stderr?.on("data", (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    (slirp.stdio[3] as Readable).once("data", () => resolve());
    slirp.once("exit", (code) =>
      reject(new Error(`slirp4netns exited (${code}): ${errors.trim().split("\n").pop() ?? ""}`)),
    );
    slirp.once("error", reject);
  });
}

/**
 * Routes in the box's namespace that refuse the host's own addresses (slirp4netns would reach
 * services listening on them from the host) and link-local ones (a cloud's metadata service):
 * the box reaches those no more than its host's loopback; nor the bridges' upstreams on another
 * machine (only the bridges reach them). Added from the host, as root; the
 * app has no capability to change them.
 */
async function refuseHostAddresses(pid: number, bridges: Bridge[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && a.family === "IPv4" && !a.internal)
    .map((a) => `${a!.address}/32`);
  // Node lists an interface's addresses only while it has a carrier (libuv skips the others),
  // yet the host answers on them all: docker0 without containers, a VPN's tun while down.
  // The host's local routing table holds every address it answers on.
  // The database servers behind the bridges, when on another machine: reached directly, they
  // would take any role and database the box asked for, the bridge's check bypassed.
  for (const local of [...(await hostLocalAddresses()), ...(await bridgeUpstreams(bridges))])
    if (!addresses.includes(local)) addresses.push(local);
  const routes = [...addresses, "169.254.0.0/16"].map((to) => `route add prohibit ${to}\n`);
  const ip = spawn("nsenter", [`--net=/proc/${pid}/ns/net`, "--", "ip", "-batch", "-"], {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    stdio: ["pipe", "ignore", "pipe"],
  });
  let errors = "";
  ip.stderr.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  ip.stdin.on("error", () => {}); // nsenter gone: its exit says why
  ip.stdin.end(routes.join(""));
  const code = await new Promise<number | null>((resolve) => {
    ip.once("exit", resolve);
    ip.once("error", (error) => {
      errors += `nsenter: ${error.message} (Debian: util-linux, iproute2)`;
      resolve(-1);
    });
  });
  if (code !== 0) throw new Error(`could not refuse the host's addresses: ${errors.trim()}`);
}

/**
 * The host's own IPv4 addresses and local ranges beside the loopback, from its local routing
 * table (`ip -4 route show table local type local`), as destinations (`a.b.c.d/nn`).
 */
async function hostLocalAddresses(): Promise<string[]> {
  const ip = spawn("ip", ["-4", "route", "show", "table", "local", "type", "local"], {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let errors = "";
  ip.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  ip.stderr.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    ip.once("close", resolve);
    ip.once("error", (error) => {
      errors += `ip: ${error.message} (Debian: iproute2)`;
      resolve(-1);
    });
  });
  if (code !== 0) throw new Error(`could not list the host's addresses: ${errors.trim()}`);
  const found: string[] = [];
  for (const line of out.split("\n")) {
    // "local 10.1.2.3 dev docker0 proto kernel scope host src 10.1.2.3", or a range "local 10.9.0.0/16 dev lo …"
    const to = /^local\s+(\d+\.\d+\.\d+\.\d+)(\/\d+)?\s/.exec(line);
    if (!to || to[1]!.startsWith("127.")) continue;
    found.push(`${to[1]}${to[2] ?? "/32"}`);
  }
  return found;
}

/** The IPv4 addresses of the bridges' upstreams (PgBouncer, Postgres) but the loopback's. */
async function bridgeUpstreams(bridges: Bridge[]): Promise<string[]> {
  const found: string[] = [];
  for (const { host } of bridges) {
    const resolved = await lookup(host, { all: true, family: 4 }).catch(() => []);
    for (const { address } of resolved)
      if (!address.startsWith("127.")) found.push(`${address}/32`);
  }
  return found;
}

/** Asks slirp4netns to forward the host's 127.0.0.1:<port> to the relay inside the box. */
function publish(spec: LaunchSpec, port: number): void {
  const api = net.connect(apiSocket(spec));
  const request = {
    execute: "add_hostfwd",
    arguments: {
      proto: "tcp",
      host_addr: "127.0.0.1",
      host_port: port,
      guest_addr: GUEST_ADDRESS,
      guest_port: PUBLISHED_PORT,
    },
  };
  let answer = "";
  api.on("data", (chunk: Buffer) => {
    answer += chunk.toString();
  });
  api.once("connect", () => api.write(JSON.stringify(request)));
  api.once("end", () => {
    if (answer.includes('"error"')) say(`could not publish port ${port}: ${answer.slice(0, 300)}`);
    api.destroy();
  });
  api.once("error", (error) => say(`could not publish port ${port}: ${error.message}`));
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready within ${ms / 1000}s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** The request: on the command line, or, with --request-on-stdin, all of stdin. */
async function readRequest(): Promise<LaunchRequest> {
  const [specJson, separator, bwrap, ...bwrapArgs] = process.argv.slice(2);
  if (specJson === "--request-on-stdin" && bwrap === undefined) {
    // Nobody took this launcher: it was left by a process that runs no more boxes.
    const idle = setTimeout(() => process.exit(0), Number(separator) || 60_000);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    clearTimeout(idle);
    // Closed with nothing asked: the worker that started this launcher ended.
    if (chunks.length === 0) process.exit(0);
    try {
      return JSON.parse(Buffer.concat(chunks).toString()) as LaunchRequest;
    } catch (error) {
      say(`not a launch request: ${(error as Error).message}`);
      process.exit(2);
    }
  }
  if (!specJson || separator !== "--" || !bwrap) {
    say("usage: box-launcher.js <spec> -- <bwrap> <args…> | box-launcher.js --request-on-stdin");
    process.exit(2);
  }
  return { spec: JSON.parse(specJson) as LaunchSpec, bwrap, bwrapArgs, stdout: null };
}

/** The worker's stdout file, reopened, if the descriptor still names that file. */
function openStdout(stdout: NonNullable<LaunchRequest["stdout"]>): number {
  const fd = openSync(stdout.path, "a");
  const { dev, ino } = fstatSync(fd);
  if (dev !== stdout.dev || ino !== stdout.ino) {
    closeSync(fd);
    throw new Error(`${stdout.path} is not the file it was when asked for`);
  }
  return fd;
}

async function main(): Promise<void> {
  const onStdin = process.argv[2] === "--request-on-stdin";
  const { spec, bwrap, bwrapArgs, stdout } = await readRequest();
  let stdoutFd: number | "inherit" = "inherit";
  try {
    if (stdout !== null) stdoutFd = openStdout(stdout);
  } catch (error) {
    say(`cannot open the box's stdout: ${(error as Error).message}`);
    process.exit(125);
  }
  // The boxes' parent is root's alone: a bridge socket lets whoever reaches it in as the
  // project's role, and host users are not that project.
  mkdirSync(path.dirname(spec.boxDir), { recursive: true, mode: 0o700 });
  chmodSync(path.dirname(spec.boxDir), 0o700);
  // A release's launcher runs again with the same box when supervisord restarts it: what a
  // launcher killed -9 left there (its sockets) would refuse the new one's listeners.
  rmSync(spec.boxDir, { recursive: true, force: true });
  rmSync(apiSocket(spec), { force: true });
  mkdirSync(spec.boxDir, { recursive: true, mode: 0o755 });
  chmodSync(spec.boxDir, 0o755);
  if (spec.relay) copyFileSync(spec.relay, path.join(spec.boxDir, "relay.mjs"));
  writeFileSync(path.join(spec.boxDir, "resolv.conf"), "nameserver 10.0.2.3\n");
  const servers = await Promise.all(
    spec.bridges.map((bridge) =>
      listenUnix(path.join(spec.boxDir, bridge.name), (client) => serveBridge(bridge, client)),
    ),
  );
  const { publishPort } = spec;
  if (publishPort) {
    let published = false;
    const ready = await listenUnix(path.join(spec.boxDir, "published.sock"), (client) => {
      client.destroy();
      if (!published) publish(spec, publishPort);
      published = true;
    });
    servers.push(ready);
    if (spec.publishSocket) {
      const socket = spec.publishSocket;
      rmSync(socket, { force: true }); // a launcher killed -9 left it
      mkdirSync(path.dirname(socket), { recursive: true, mode: 0o755 });
      servers.push(await listenUnix(socket, (client) => forward(client, publishPort)));
    }
  }

  const cleanUp = async (group: BoxCgroup | null) => {
    for (const server of servers) server.close();
    rmSync(spec.boxDir, { recursive: true, force: true });
    rmSync(apiSocket(spec), { force: true });
    if (spec.publishSocket) rmSync(spec.publishSocket, { force: true });
    if (!group) return;
    const left = await removeBoxCgroup(group).catch((error: Error) => [error.message]);
    if (left.length > 0)
      process.stderr.write(`box: could not remove its cgroup: ${left.join(", ")}\n`);
  };
  let group: BoxCgroup | null = null;
  if (spec.limits) {
    try {
      group = createBoxCgroup(path.basename(spec.boxDir), spec.limits);
    } catch (error) {
      // Limits asked for are never dropped: no box without them.
      process.stderr.write(`box: cannot set its resource limits: ${(error as Error).message}\n`);
      await cleanUp(null);
      process.exit(125);
    }
  }
  const command = [
    ...(group ? enterCommand(group) : []),
    ...["unshare", "--net", "--", bwrap, "--info-fd", "3", "--block-fd", "4", ...bwrapArgs],
  ];
  let box: ReturnType<typeof spawn>;
  try {
    box = spawn(command[0]!, command.slice(1), {
      stdio: [onStdin ? "ignore" : "inherit", stdoutFd, "inherit", "pipe", "pipe"],
    });
  } catch (error) {
    // An argument spawn() refuses (a NUL byte): nothing ran; nothing is left behind.
    say(`cannot run bwrap: ${(error as Error).message}`);
    await cleanUp(group);
    process.exit(125);
  } finally {
    if (typeof stdoutFd === "number") closeSync(stdoutFd);
  }
  // A signal to the group reaches bwrap and the box anyway; one to this process alone is
  // passed on. Either way this process ends when bwrap does, with its status.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const)
    process.on(signal, () => box.kill(signal));
  box.once("exit", async (code, signal) => {
    // Last on stderr, after all the box wrote: the step's log ends with the cause.
    if (group && spec.limits && memoryKills(group) > 0)
      process.stderr.write(`${outOfMemoryLine(spec.limits)}\n`);
    await cleanUp(group);
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
  box.once("error", async (error) => {
    say(`cannot run bwrap: ${error.message}`);
    await cleanUp(group);
    process.exit(127);
  });
  try {
    const pid = await childPid(box.stdio[3] as Readable);
    await withDeadline(
      Promise.all([startSlirp(spec, pid), refuseHostAddresses(pid, spec.bridges)]),
      NETWORK_READY_MS,
    );
  } catch (error) {
    say(`the box's network did not start: ${(error as Error).message}`);
    box.kill("SIGKILL");
    return;
  }
  // bwrap gone meanwhile: its exit ends this process.
  (box.stdio[4] as Writable).on("error", () => {}).end("1");
}

await main();
