/**
 * A box's network, as the worker sets it up: the box gets a network namespace of its own
 * (the launcher starts bwrap under `unshare --net`), whose only ways out are slirp4netns (the internet, never the host's
 * loopback) and two database bridges, DATABASE_URL at 127.0.0.1:6432 and DIRECT_URL at
 * 127.0.0.1:5433 inside the box, each of which lets through only the project's own role and
 * database. A release's PORT is reachable from the host at 127.0.0.1:PORT, and from nothing
 * else on the host's loopback. The launcher (box-launcher.ts) and the relay inside the box
 * (box-relay.c, else box-relay.ts) do the work; this module builds their command lines.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../package-root.js";
import type { Bridge, LaunchSpec } from "./box-launcher.js";
import { launchStepBox } from "./ready-launcher.js";
import type { ResourceLimits } from "./resource-limits.js";

/** The documented database addresses inside a box, by the variable that carries each. */
export const BOX_DATABASE_ADDRESSES = {
  DATABASE_URL: { host: "127.0.0.1", port: 6432, socket: "pooled.sock" },
  DIRECT_URL: { host: "127.0.0.1", port: 5433, socket: "direct.sock" },
} as const;
type DatabaseVariable = keyof typeof BOX_DATABASE_ADDRESSES;
const DATABASE_VARIABLES = Object.keys(BOX_DATABASE_ADDRESSES) as DatabaseVariable[];

/** Where the box directory is bind-mounted inside the box (box-relay.ts knows it too). */
const IN_BOX_DIR = "/run/coduck";
const BUILT = path.join(PACKAGE_ROOT, "dist", "src", "exec");
/**
 * The relay compiled from box-relay.c (scripts/build-relay.sh, in `npm run build`): bound
 * read-only into each box at NATIVE_RELAY_IN_BOX. Without it (no C compiler at build time) the
 * Node relay, box-relay.ts, is copied into the box directory instead: the same work, 50-90 ms
 * more per command.
 */
const NATIVE_RELAY = path.join(BUILT, "box-relay");
const NATIVE_RELAY_IN_BOX = "/run/coduck-relay";
const nativeRelay = existsSync(NATIVE_RELAY);
/** slirp-backlog.c, built beside the relay: preloaded into slirp4netns for a release's port. */
const SLIRP_BACKLOG = path.join(BUILT, "slirp-backlog.so");

/** A fresh directory for one box's sockets, under the worker's (hidden) data directory. */
export function newBoxDir(dataDir: string): string {
  return path.join(dataDir, "run", randomBytes(8).toString("hex"));
}

/** bwrap's arguments for the box's network: the bridges' directory, slirp's DNS. */
export function networkBwrapArgs(boxDir: string): string[] {
  return [
    // bwrap would make /run 0700, out of the app user's reach.
    "--perms",
    "0755",
    "--dir",
    path.dirname(IN_BOX_DIR),
    "--ro-bind",
    boxDir,
    IN_BOX_DIR,
    "--ro-bind",
    path.join(boxDir, "resolv.conf"),
    "/etc/resolv.conf",
    ...(nativeRelay ? ["--ro-bind", NATIVE_RELAY, NATIVE_RELAY_IN_BOX] : []),
  ];
}

/**
 * The app's environment with DATABASE_URL and DIRECT_URL pointed at their addresses inside
 * the box (user, password, database and parameters unchanged). A DATABASE_URL that points
 * where DIRECT_URL does (schema tools and preStart get the direct URL) becomes the direct
 * address too.
 */
export function boxEnv(env: Record<string, string>): Record<string, string> {
  const inBox = { ...env };
  const direct = env.DIRECT_URL ? new URL(env.DIRECT_URL).host : null;
  for (const name of DATABASE_VARIABLES) {
    const value = env[name];
    if (!value) continue;
    const url = new URL(value);
    const goesTo = url.host === direct ? "DIRECT_URL" : name;
    url.hostname = BOX_DATABASE_ADDRESSES[goesTo].host;
    url.port = String(BOX_DATABASE_ADDRESSES[goesTo].port);
    inBox[name] = url.toString();
  }
  return inBox;
}

/**
 * The in-box command: the relay, which listens on the bridge addresses (and forwards `port`
 * when it is a release's), then runs `file args`. Goes after the privilege drop.
 */
export function relayCommand(port: number | null): string[] {
  if (nativeRelay) return [NATIVE_RELAY_IN_BOX, String(port ?? 0)];
  return [process.execPath, `${IN_BOX_DIR}/relay.mjs`, String(port ?? 0)];
}

/**
 * The command that runs bwrap through the launcher. `env` is the app's environment as the
 * worker received it (host addresses): the bridges' upstreams and the only role and database
 * they admit are read from DATABASE_URL and DIRECT_URL, which the platform alone sets.
 * A step's launcher ends with the worker (setpriv --pdeathsig TERM: it ends its box, then
 * removes the box's directory and cgroup, and dies of the signal); a release's outlives it.
 * `limits`: the box's cgroup limits (the launcher makes the group), null for none.
 */
export function launcherCommand(options: {
  bwrap: string;
  bwrapArgs: string[];
  boxDir: string;
  env: Record<string, string>;
  publishPort: number | null;
  publishSocket?: string | null;
  lifetime: "step" | "release";
  slirp4netns: string;
  limits: ResourceLimits | null;
}): { file: string; args: string[]; start?: (stdoutFd: number | null) => ChildProcess } {
  const spec: LaunchSpec = {
    slirp4netns: options.slirp4netns,
    boxDir: options.boxDir,
    relay: nativeRelay ? null : path.join(BUILT, "box-relay.js"),
    bridges: DATABASE_VARIABLES.flatMap((name) => bridgeOf(name, options.env[name])),
    publishPort: options.publishPort,
    publishSocket: options.publishSocket ?? null,
    limits: options.limits,
    slirpPreload: options.publishPort && existsSync(SLIRP_BACKLOG) ? SLIRP_BACKLOG : null,
  };
  const script = path.join(BUILT, "box-launcher.js");
  const launcher = [process.execPath, script, JSON.stringify(spec), "--", options.bwrap];
  launcher.push(...options.bwrapArgs);
  if (options.lifetime === "release") return { file: launcher[0]!, args: launcher.slice(1) };
  const request = { spec, bwrap: options.bwrap, bwrapArgs: options.bwrapArgs };
  return {
    file: "setpriv",
    args: ["--pdeathsig", "TERM", "--", ...launcher],
    // Through runCommand: a launcher started ahead (ready-launcher.ts), told the same on its stdin.
    start: (stdoutFd) => launchStepBox(script, request, stdoutFd),
  };
}

function bridgeOf(name: DatabaseVariable, value: string | undefined): Bridge[] {
  if (!value) return [];
  const url = new URL(value);
  const user = decodeURIComponent(url.username);
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!user || !database) return [];
  return [
    {
      name: BOX_DATABASE_ADDRESSES[name].socket,
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(url.port || 5432),
      user,
      database,
    },
  ];
}
