import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import type { SandboxMode } from "../config.js";
import { PACKAGE_ROOT } from "../package-root.js";
import { asAppOwner } from "./as-app-owner.js";
import { cgroupParent } from "./box-cgroup.js";
import {
  boxEnv,
  launcherCommand,
  networkBwrapArgs,
  newBoxDir,
  relayCommand,
} from "./box-network.js";
import { appPath, launcherEnv } from "./child-env.js";
import { type AppOwner, handOver } from "./hand-over.js";
import { checkedLimits, DEFAULT_LIMITS, type ResourceLimits } from "./resource-limits.js";
import type { Command } from "./run-command.js";

/** Whether app commands run sandboxed on this machine, and a sentence saying how (for logs and `doctor`). */
export type SandboxStatus = { mode: SandboxMode; active: boolean; detail: string };

/**
 * How long a wrapped command lives: a step's command dies with the worker; a release is
 * detached and keeps serving when the worker restarts.
 */
export type SandboxLifetime = "step" | "release";

/**
 * One deploy attempt's box: wraps a command so that it runs inside it. A release may also be
 * published on a unix socket of the host (`publishSocket`), besides its port.
 */
export type Sandbox = {
  wrap(command: Command, lifetime: SandboxLifetime, options?: WrapOptions): Promise<Command>;
  /**
   * Whether every box of this release so far ran with a HOME of its own (`privateHome`): then
   * none could reach a process outside its box (no shared writable place to bind a socket in,
   * a network namespace each, its processes gone with it), so once those boxes have ended no
   * process anywhere holds a descriptor of anything in the release. The worker's copy boxes
   * (caches/boxed-copy.ts, releases/copy-release.ts) are not counted: they run a fixed `cp`, in
   * namespaces of their own (network, IPC, PID), never the app's code.
   */
  sealed(): boolean;
};

export type WrapOptions = {
  publishSocket?: string;
  /**
   * HOME for this command instead of the project's: a fresh directory inside the release, made
   * the app's. The project's HOME, which the live release shares, is then not shown at all.
   */
  privateHome?: string;
};

/**
 * Whom the probe's command (and a box made without an owner) runs as: nobody. A project's app
 * code runs as the project's own uid (store/project-app-uid.ts).
 */
const NOBODY: AppOwner = { uid: 65534, gid: 65534 };

/** What an app needs of the system, read-only: programs, libraries, /etc (certificates, DNS). */
const SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];
/** Under the system paths, but the worker's, not the app's: hidden behind an empty tmpfs. */
const HIDDEN_SYSTEM_PATHS = ["/etc/coduck-worker", "/etc/pgbouncer"];

type Detection =
  | { ok: true; bwrap: string; slirp4netns: string; version: string }
  | { ok: false; reason: string };
let detection: Promise<Detection> | undefined;

/** Whether bubblewrap is installed and actually works here: probed once per process. */
export function detectBwrap(): Promise<Detection> {
  detection ??= probeBwrap();
  return detection;
}

/** The sandbox this worker runs app commands in, for the worker's start-up line and `doctor`. */
export async function sandboxStatus(mode: SandboxMode): Promise<SandboxStatus> {
  if (mode === "off") {
    return {
      mode,
      active: false,
      detail:
        "off (SANDBOX=off): app commands run unsandboxed, as the worker's user, and see what it sees",
    };
  }
  const found = await detectBwrap();
  if (!found.ok) {
    return {
      mode,
      active: false,
      detail: `no sandbox: ${found.reason}`,
    };
  }
  return {
    mode,
    active: true,
    detail: `bubblewrap ${found.version}: app commands run as ${isRoot() ? "each project's own uid" : "the worker's user"} in their own PID namespace, seeing the system read-only and only their release directory; ${limitsDetail()}`,
  };
}

/**
 * The box of one deploy attempt, or null when app commands run unsandboxed: only ever with
 * SANDBOX=off. With bwrap and no working bubblewrap it throws (the worker refused to start).
 * Each command in it runs within `limits` (memory, processes, CPU share; a cgroup per
 * command) when the worker is root; unprivileged, bwrap cannot be given a cgroup.
 */
export async function sandboxFor(
  mode: SandboxMode,
  paths: { dataDir: string; releaseDir: string; project: string },
  owner: AppOwner = NOBODY,
  limits: ResourceLimits = DEFAULT_LIMITS,
): Promise<Sandbox | null> {
  if (mode === "off") return null;
  const checked = checkedLimits(limits);
  const found = await detectBwrap();
  if (!found.ok) throw new Error(`SANDBOX=bwrap but ${found.reason}`);
  return releaseSandbox(
    found,
    { ...paths, homeDir: projectHome(paths.dataDir, paths.project) },
    owner,
    checked,
  );
}

/** A project's HOME, kept between its deploys: every box of its shows it, unless given a private one. */
export function projectHome(dataDir: string, project: string): string {
  return path.join(dataDir, "homes", project);
}

type BoxPaths = { dataDir: string; releaseDir: string; homeDir: string };

function releaseSandbox(
  { bwrap, slirp4netns }: { bwrap: string; slirp4netns: string },
  paths: BoxPaths,
  owner: AppOwner,
  limits: ResourceLimits,
): Sandbox {
  let handedOver: Promise<void> | undefined;
  let projectHomeShown = false;
  return {
    sealed: () => !projectHomeShown,
    async wrap(command, lifetime, options = {}) {
      // Once, after checkout: from here on the release directory is the app's to write.
      handedOver ??= handOver(paths, isRoot() ? owner : null);
      await handedOver;
      const home = homeFor(paths, lifetime, options.privateHome);
      if (home === paths.homeDir) projectHomeShown = true;
      // Its own network namespace: see exec/box-network.ts. A release's PORT is published.
      const boxDir = newBoxDir(paths.dataDir);
      const publishPort = lifetime === "release" ? Number(command.env.PORT) || null : null;
      const inBox = { ...command, env: boxEnv(command.env) };
      const launched = launcherCommand({
        bwrap,
        bwrapArgs: [
          ...bwrapArgs({ ...paths, homeDir: home }, command.cwd, lifetime),
          ...networkBwrapArgs(boxDir),
          ...boxEnvArgs(),
          "--",
          ...dropPrivileges(owner),
          ...appEnvArgs(inBox, home),
          ...relayCommand(publishPort),
          command.file,
          ...command.args,
        ],
        boxDir,
        env: command.env,
        publishPort,
        publishSocket: lifetime === "release" ? (options.publishSocket ?? null) : null,
        lifetime,
        slirp4netns,
        limits: isRoot() ? limits : null,
      });
      return {
        ...launched,
        cwd: command.cwd,
        // The launcher and bwrap, on the host as root, run with the fixed host environment only.
        env: launcherEnv(),
      };
    },
  };
}

/** The HOME a command gets: the project's, or a private one inside the release (steps only). */
function homeFor(paths: BoxPaths, lifetime: SandboxLifetime, asked?: string): string {
  if (asked === undefined) return paths.homeDir;
  if (lifetime !== "step" || !isInside(asked, paths.releaseDir) || asked === paths.releaseDir)
    throw new Error(`a private HOME must be a directory inside the release: ${asked}`);
  return asked;
}

/**
 * bubblewrap's view of the machine for an app command: the system read-only, a private /tmp,
 * /proc of its own PID namespace (the worker's processes do not exist there), the worker's data
 * directory and its own files hidden, and only the release directory and the project's HOME
 * writable. The network is the box's own (networkBwrapArgs): the internet through slirp4netns,
 * the project's own database through two bridges, nothing on the host's loopback.
 * No --new-session: the command is already a session leader without a terminal (spawned
 * detached), and staying in its process group is what lets a timeout or a stop signal reach
 * everything inside.
 */
function bwrapArgs(paths: BoxPaths, cwd: string, lifetime: SandboxLifetime): string[] {
  const args = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"];
  if (lifetime === "step") args.push("--die-with-parent");
  const visible: string[] = [];
  for (const dir of [...SYSTEM_PATHS, nodePrefix()]) {
    if (!dir || visible.some((shown) => isInside(dir, shown))) continue;
    const link = symlinkTarget(dir);
    if (link !== null) args.push("--symlink", link, dir);
    else if (existsSync(dir)) {
      args.push("--ro-bind", dir, dir);
      visible.push(dir);
    }
  }
  // /etc/resolv.conf may point outside /etc (systemd-resolved): DNS must keep working.
  const resolver = realpathOrNull("/etc/resolv.conf");
  if (resolver && !visible.some((shown) => isInside(resolver, shown)))
    args.push("--ro-bind", resolver, resolver);
  args.push("--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp");
  const hidden = [
    ...HIDDEN_SYSTEM_PATHS,
    paths.dataDir,
    os.homedir(),
    PACKAGE_ROOT,
    process.cwd(),
  ].filter(
    (dir) =>
      existsSync(dir) &&
      visible.some((shown) => isInside(dir, shown)) &&
      !visible.some((shown) => isInside(shown, dir)),
  );
  for (const dir of new Set(hidden)) args.push("--tmpfs", dir);
  // The data directory is hidden whether or not a system path holds it: binds below are all it shows.
  if (!hidden.includes(paths.dataDir)) args.push("--tmpfs", paths.dataDir);
  // The directories leading to the two binds, traversable (bwrap would make them 0700).
  for (const dir of new Set([
    ...ancestorsWithin(paths.releaseDir, paths.dataDir),
    ...ancestorsWithin(paths.homeDir, paths.dataDir),
  ]))
    args.push("--perms", "0755", "--dir", dir);
  args.push("--bind", paths.releaseDir, paths.releaseDir, "--bind", paths.homeDir, paths.homeDir);
  args.push("--chdir", cwd);
  return args;
}

/**
 * The environment the box starts with: bwrap clears its own and sets the fixed PATH, so that
 * what runs first inside (setpriv, as root, when the worker is root) sees nothing of the app's.
 */
function boxEnvArgs(): string[] {
  return ["--clearenv", "--setenv", "PATH", BOX_PATH];
}

/**
 * The PATH inside a box: this Node's directory and the system's, and nothing of the host's
 * own layout (the worker's PATH may name directories under /root or a checkout, which the box
 * does not show).
 */
const BOX_PATH = [
  ...new Set([
    path.dirname(process.execPath),
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
  ]),
].join(":");

/**
 * The app's variables, for the app's own command only: `env -i NAME=VALUE… command`, run once
 * privileges are dropped. HOME (npm's and corepack's caches) is the project's own, kept
 * between its deploys; PATH is the box's, after the app's node_modules/.bin (appPath).
 */
function appEnvArgs(command: Command, homeDir: string): string[] {
  if (command.file.includes("="))
    throw new Error(`cannot run ${JSON.stringify(command.file)} in the sandbox: its name has "="`);
  const env = { ...command.env, HOME: homeDir, PATH: appPath(command.cwd, BOX_PATH) };
  return [
    findExecutable("env") ?? "/usr/bin/env",
    "-i",
    ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
  ];
}

/** As root, bwrap mounts; the command itself then runs as the project's uid with no capabilities left. */
function dropPrivileges(owner: AppOwner): string[] {
  return isRoot() ? asAppOwner(owner) : [];
}

/**
 * Runs one short command of the worker's own to its end in a box (as it is, with no box), its
 * output collected, never thrown: the sandbox probe, doctor's network check, `db baseline`.
 * A deploy's steps go through runCommand instead (streamed, recorded, stoppable).
 */
export async function runToEnd(box: Sandbox | null, command: Command, timeoutMs: number) {
  const wrapped = box ? await box.wrap(command, "step") : command;
  return execa(wrapped.file, wrapped.args, {
    cwd: wrapped.cwd,
    env: wrapped.env,
    extendEnv: false,
    stdin: "ignore",
    reject: false,
    all: true,
    timeout: timeoutMs,
  });
}

async function probeBwrap(): Promise<Detection> {
  const bwrap = findExecutable("bwrap");
  if (!bwrap)
    return { ok: false, reason: "bwrap is not installed (Debian: apt-get install bubblewrap)" };
  if (isRoot() && !findExecutable("setpriv"))
    return { ok: false, reason: "setpriv is not installed (Debian: util-linux)" };
  const slirp4netns = findExecutable("slirp4netns");
  if (!slirp4netns)
    return {
      ok: false,
      reason: "slirp4netns is not installed (Debian: apt-get install slirp4netns)",
    };
  const scratch = await mkdtemp(path.join(os.tmpdir(), "coduck-sandbox-probe-"));
  try {
    const paths = {
      dataDir: path.join(scratch, "data"),
      releaseDir: path.join(scratch, "data", "release"),
      homeDir: path.join(scratch, "data", "home"),
    };
    await mkdir(paths.releaseDir, { recursive: true });
    // Under the default limits: a host where the boxes' cgroups cannot be made fails here.
    const box = releaseSandbox({ bwrap, slirp4netns }, paths, NOBODY, DEFAULT_LIMITS);
    const result = await runToEnd(
      box,
      {
        file: "sh",
        args: ["-c", "touch .probe"],
        cwd: paths.releaseDir,
        env: { PATH: "/usr/bin:/bin" },
      },
      15_000,
    );
    if (result.exitCode !== 0) {
      const why =
        result.stderr.split("\n").find((line) => line.trim()) ?? `exit ${result.exitCode}`;
      return { ok: false, reason: `bwrap does not work here (${why.trim()})` };
    }
    const version = await execa(bwrap, ["--version"], { reject: false });
    return {
      ok: true,
      bwrap,
      slirp4netns,
      version: version.stdout.replace(/^bubblewrap\s*/, "").trim() || "?",
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** How the boxes' memory, processes and CPU share are limited here, for the status line. */
function limitsDetail(): string {
  if (!isRoot()) return "no memory, process or CPU limits (the worker is not root: no cgroups)";
  const parent = cgroupParent();
  if (parent.version === null) return `no memory, process or CPU limits (${parent.reason})`;
  return `memory, process and CPU limits in a cgroup per command (cgroup v${parent.version})`;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function findExecutable(name: string): string | null {
  for (const dir of (process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":")) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Where this Node is installed, when that is outside the system paths (nvm, /opt/node). */
function nodePrefix(): string {
  return path.dirname(path.dirname(realpathOrNull(process.execPath) ?? process.execPath));
}

function symlinkTarget(file: string): string | null {
  try {
    return lstatSync(file).isSymbolicLink() ? readlinkSync(file) : null;
  } catch {
    return null;
  }
}

function realpathOrNull(file: string): string | null {
  try {
    return realpathSync(file);
  } catch {
    return null;
  }
}

/** The directories strictly between `root` and `dir`, outermost first. */
function ancestorsWithin(dir: string, root: string): string[] {
  const found: string[] = [];
  for (let up = path.dirname(dir); up !== root && isInside(up, root); up = path.dirname(up))
    found.unshift(up);
  return found;
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}
