import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { LineSplitter } from "./output-lines.js";

export type OutputStream = "stdout" | "stderr";
/**
 * Receives a command's output: one or more whole lines of one stream, as the command wrote
 * them, each ending in "\n" (linesText reads them as text). When it returns a promise, that
 * stream is not read until it settles (back-pressure: the command blocks on a full pipe
 * instead of the worker buffering its output).
 */
export type OutputSink = (stream: OutputStream, lines: Buffer) => Promise<void> | undefined | void;

export type Command = {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
};

export type CommandResult = {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
};

const KILL_GRACE_MS = 5_000;

/**
 * Runs a command without a shell in its own process group, streams its output to `onOutput`
 * as it comes, in whole lines (see output-lines.ts), and kills the whole group on timeout or
 * abort. Resolves with how it ended; rejects only when the command could not be started.
 */
export async function runCommand(
  command: Command,
  options: {
    onOutput: OutputSink;
    timeoutMs: number;
    signal?: AbortSignal;
    /** Learns the command's process group (its pid) as soon as it runs. */
    onSpawn?: (pgid: number) => void;
  },
): Promise<CommandResult> {
  const { onOutput, timeoutMs, signal, onSpawn } = options;
  const child = spawn(command.file, command.args, {
    cwd: command.cwd,
    env: command.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.on("error", (error) => {
        if (child.pid === undefined)
          reject(new Error(`could not start ${command.file}: ${error.message}`, { cause: error }));
      });
      child.once("close", (code, signal) => resolve({ code, signal }));
    },
  );
  const readers = [
    readLines(child.stdout, (lines) => onOutput("stdout", lines)),
    readLines(child.stderr, (lines) => onOutput("stderr", lines)),
  ];

  if (child.pid !== undefined) onSpawn?.(child.pid);

  let timedOut = false;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stopGroup = () => {
    // The group cannot end while its pipes are full: read on whatever the sink says.
    for (const reader of readers) reader.drain();
    signalGroup(child.pid, "SIGTERM");
    killTimer ??= setTimeout(() => signalGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stopGroup();
  }, timeoutMs);
  const onAbort = () => {
    aborted = true;
    stopGroup();
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });

  try {
    const end = await ended;
    return { exitCode: end.code, signal: end.signal, timedOut, aborted };
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
    signal?.removeEventListener("abort", onAbort);
    // Whatever the command left running in its group (watchers, daemons) ends with it.
    signalGroup(child.pid, "SIGKILL");
  }
}

/**
 * Reads a stream in raw chunks, handing on whole lines and pausing while asked to, until
 * `drain()`: from then on it reads to the end without pausing.
 */
function readLines(
  stream: Readable,
  onLines: (lines: Buffer) => Promise<void> | undefined | void,
): { drain(): void } {
  const splitter = new LineSplitter(onLines);
  let draining = false;
  const hold = (wait: Promise<void> | undefined | void) => {
    if (!wait || draining) return;
    stream.pause();
    // A failed write is the sink's to report; reading goes on either way.
    wait.then(
      () => stream.resume(),
      () => stream.resume(),
    );
  };
  stream.on("data", (chunk: Buffer) => hold(splitter.push(chunk)));
  stream.on("end", () => hold(splitter.end()));
  return {
    drain() {
      draining = true;
      stream.resume();
    },
  };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
