/**
 * Step boxes' launchers, started ahead. Node's start-up is most of a box's own start (50-100 ms
 * of about 105 before the command runs); a launcher that is already up when its step asks for
 * a box takes that off every step's path. One waits at a time in a worker process: taken by the
 * next step box, it is replaced a moment later, once that box has started.
 *
 * A waiting launcher runs `box-launcher.js --request-on-stdin` in a process group of its own,
 * as every step's command does, ends with the worker (setpriv --pdeathsig) or by itself after
 * LAUNCHER_IDLE_MS without a box, and keeps nothing of the worker alive (unreferenced until
 * taken). Its box's request reaches it on its stdin, not on its command line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fstatSync } from "node:fs";
import path from "node:path";
import type { LaunchRequest } from "./box-launcher.js";
import { launcherEnv } from "./child-env.js";

/** How long after a launcher is taken the next one starts: not beside its box's own start. */
const REPLACE_AFTER_MS = 200;
/**
 * A waiting launcher ends by itself after this long without a box (box-launcher.ts is told
 * it), so that none is left behind by a process that stopped running boxes (a test file in a
 * test runner's process). One is not taken in its last 10 seconds: it could end meanwhile.
 */
export const LAUNCHER_IDLE_MS = 60_000;
const TAKE_WITHIN_MS = LAUNCHER_IDLE_MS - 10_000;

let waiting: { launcher: ChildProcess; startedAt: number } | null = null;
let replacing: NodeJS.Timeout | undefined;

/**
 * Runs `request`'s box through the waiting launcher, or one started now when none waits.
 * `stdoutFd`: the worker's descriptor the box writes its stdout into (null: the launcher's
 * stdout pipe). Returns the launcher, whose process group is the box's. Throws, as spawn()
 * would, for an argument with a NUL byte in it.
 */
export function launchStepBox(
  launcherScript: string,
  request: Omit<LaunchRequest, "stdout">,
  stdoutFd: number | null,
): ChildProcess {
  const bad = [request.bwrap, ...request.bwrapArgs].find((arg) => arg.includes("\0"));
  if (bad !== undefined)
    throw new Error(`a command's arguments cannot hold a NUL byte: ${JSON.stringify(bad)}`);
  const launcher = takeWaiting() ?? startLauncher(launcherScript);
  keepsProcessAlive(launcher, true);
  // Checked by the launcher once it has opened it: the very file this descriptor is now.
  const stdout =
    stdoutFd === null
      ? null
      : { path: `/proc/${process.pid}/fd/${stdoutFd}`, ...fileIdentity(stdoutFd) };
  // A launcher gone meanwhile (or none started: its "error" says why): its exit ends the command.
  launcher.stdin?.on("error", () => {});
  launcher.stdin?.end(JSON.stringify({ ...request, stdout } satisfies LaunchRequest));
  replacing ??= setTimeout(() => {
    replacing = undefined;
    prepare(launcherScript);
  }, REPLACE_AFTER_MS).unref();
  return launcher;
}

/** Ends the waiting launcher, if any (a worker closing). */
export function stopWaitingLauncher(): void {
  clearTimeout(replacing);
  replacing = undefined;
  waiting?.launcher.kill("SIGKILL");
  waiting = null;
}

function fileIdentity(fd: number): { dev: number; ino: number } {
  const { dev, ino } = fstatSync(fd);
  return { dev, ino };
}

/** Whether the launcher (the process and its pipes) keeps this process's event loop alive. */
function keepsProcessAlive(launcher: ChildProcess, alive: boolean): void {
  for (const handle of [launcher, launcher.stdin, launcher.stdout, launcher.stderr])
    (handle as { ref?(): void; unref?(): void } | null)?.[alive ? "ref" : "unref"]?.();
}

function takeWaiting(): ChildProcess | null {
  const ready = waiting;
  waiting = null;
  if (!ready) return null;
  const { launcher } = ready;
  const usable =
    launcher.exitCode === null &&
    launcher.signalCode === null &&
    launcher.pid !== undefined &&
    launcher.stdin !== null &&
    Date.now() - ready.startedAt < TAKE_WITHIN_MS;
  if (usable) return launcher;
  launcher.kill("SIGKILL");
  return null;
}

function prepare(launcherScript: string): void {
  if (waiting) return;
  let launcher: ChildProcess;
  try {
    launcher = startLauncher(launcherScript);
  } catch {
    return; // the next box starts its own launcher, and fails there if it must
  }
  launcher.on("error", () => {}); // cannot start: never taken (no pid)
  keepsProcessAlive(launcher, false);
  waiting = { launcher, startedAt: Date.now() };
}

function startLauncher(launcherScript: string): ChildProcess {
  const node = [process.execPath, launcherScript, "--request-on-stdin", String(LAUNCHER_IDLE_MS)];
  return spawn("setpriv", ["--pdeathsig", "TERM", "--", ...node], {
    cwd: path.parse(launcherScript).root,
    env: launcherEnv(),
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
}
