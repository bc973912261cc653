/**
 * Step boxes' launchers, started ahead. Node's start-up is most of a box's own start (50-100 ms
 * of about 105 before the command runs); a launcher that is already up when its step asks for
 * a box takes that off every step's path. One waits at a time in a worker process: taken by the
 * next step box, it is replaced a moment later, once that box has started.
 *
 * A waiting launcher runs `box-launcher.js --request-on-stdin` in a process group of its own,
 * as every step's command does, ends with the worker (setpriv --pdeathsig), and keeps nothing
 * of the worker alive (unreferenced until taken). Its box's request reaches it on its stdin:
 * the box's database role and name never show on the host's command lines.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import type { LaunchRequest } from "./box-launcher.js";
import { launcherEnv } from "./child-env.js";

/** How long after a launcher is taken the next one starts: not beside its box's own start. */
const REPLACE_AFTER_MS = 200;

let waiting: ChildProcess | null = null;
let replacing: NodeJS.Timeout | undefined;

/**
 * Runs `request`'s box through the waiting launcher, or one started now when none waits.
 * `stdoutFd`: the worker's descriptor the box writes its stdout into (null: the launcher's
 * stdout pipe). Returns the launcher, whose process group is the box's.
 */
export function launchStepBox(
  launcherScript: string,
  request: Omit<LaunchRequest, "stdout">,
  stdoutFd: number | null,
): ChildProcess {
  const launcher = takeWaiting(launcherScript) ?? startLauncher(launcherScript);
  for (const stream of [launcher.stdin, launcher.stdout, launcher.stderr])
    (stream as { ref?(): void } | null)?.ref?.();
  launcher.ref();
  const stdout = stdoutFd === null ? null : `/proc/${process.pid}/fd/${stdoutFd}`;
  // A launcher gone meanwhile: its exit (closed stdio) ends the command, with what it said.
  launcher.stdin!.on("error", () => {});
  launcher.stdin!.end(JSON.stringify({ ...request, stdout } satisfies LaunchRequest));
  clearTimeout(replacing);
  replacing = setTimeout(() => prepare(launcherScript), REPLACE_AFTER_MS).unref();
  return launcher;
}

function takeWaiting(launcherScript: string): ChildProcess | null {
  const ready = waiting;
  waiting = null;
  if (!ready) return null;
  const alive = ready.exitCode === null && ready.signalCode === null && ready.pid !== undefined;
  if (alive && ready.spawnargs.includes(launcherScript)) return ready;
  ready.kill("SIGKILL");
  return null;
}

function prepare(launcherScript: string): void {
  if (waiting) return;
  const launcher = startLauncher(launcherScript);
  launcher.on("error", () => {}); // cannot start: the box that takes it says so
  launcher.unref();
  for (const stream of [launcher.stdin, launcher.stdout, launcher.stderr])
    (stream as { unref?(): void } | null)?.unref?.();
  waiting = launcher;
}

function startLauncher(launcherScript: string): ChildProcess {
  const node = [process.execPath, launcherScript, "--request-on-stdin"];
  return spawn("setpriv", ["--pdeathsig", "TERM", "--", ...node], {
    cwd: path.parse(launcherScript).root,
    env: launcherEnv(),
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
}
