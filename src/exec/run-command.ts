import { type ChildProcess, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { OutputFile } from "./output-file.js";
import { LineSplitter, type OnLines, type Wait } from "./output-lines.js";

export type OutputStream = "stdout" | "stderr";
/**
 * Receives a command's output: one or more whole lines of one stream, as the command wrote
 * them, each ending in "\n" (linesText reads them as text). The bytes are valid only during
 * the call: a sink copies what it keeps. When it returns a promise, that stream is not read
 * until it settles (back-pressure: the command blocks on a full pipe instead of the worker
 * buffering its output).
 */
export type OutputSink = (stream: OutputStream, lines: Buffer) => Wait;

export type Command = {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /**
   * Starts the same command another way than spawn(file, args): a step's box through a launcher
   * started ahead (exec/ready-launcher.ts). The process it returns leads a process group of its
   * own and has piped stdio; given `stdoutFd`, it writes its stdout there instead.
   */
  start?: (stdoutFd: number | null) => ChildProcess;
};

export type CommandResult = {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
};

const KILL_GRACE_MS = 5_000;
// How often an output file is read while its command runs, and how much one turn of the event
// loop reads of it before the others get theirs.
const FILE_POLL_MS = 20;
const FILE_BYTES_PER_TURN = 4 * 1024 * 1024;

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
    /**
     * Where the command writes its stdout, read as it runs, instead of a pipe (see
     * output-file.ts). Its lines still reach `onOutput`, and each stderr chunk only after
     * whatever stdout the command had written before it.
     */
    stdoutFile?: OutputFile;
  },
): Promise<CommandResult> {
  const { onOutput, timeoutMs, signal, onSpawn, stdoutFile } = options;
  const child =
    command.start?.(stdoutFile?.writeFd ?? null) ??
    spawn(command.file, command.args, {
      cwd: command.cwd,
      env: command.env,
      detached: true,
      stdio: ["ignore", stdoutFile ? stdoutFile.writeFd : "pipe", "pipe"],
    });
  // Started by `start` with a stdout file: its own stdout pipe carries nothing.
  if (stdoutFile && child.stdout) child.stdout.resume();
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.on("error", (error) => {
        if (child.pid === undefined)
          reject(new Error(`could not start ${command.file}: ${error.message}`, { cause: error }));
      });
      child.once("close", (code, signal) => resolve({ code, signal }));
    },
  );
  const toStdout = (lines: Buffer) => onOutput("stdout", lines);
  const stdout = stdoutFile
    ? followOutputFile(stdoutFile, toStdout)
    : readLines(child.stdout!, toStdout);
  const stderr = readLines(child.stderr!, (lines) => {
    stdout.catchUp();
    return onOutput("stderr", lines);
  });
  const readers = [stdout, stderr];

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
    // Before the rest of its stdout file is read: what the group left behind could write on.
    signalGroup(child.pid, "SIGKILL");
    await stdout.finish();
    return { exitCode: end.code, signal: end.signal, timedOut, aborted };
  } finally {
    stdout.stop();
    clearTimeout(timer);
    clearTimeout(killTimer);
    signal?.removeEventListener("abort", onAbort);
    // Whatever the command left running in its group (watchers, daemons) ends with it.
    signalGroup(child.pid, "SIGKILL");
  }
}

type Reader = {
  /** Reads on to the end without pausing from now on. */
  drain(): void;
  /** Hands on at once whatever has been written so far, unless the sink holds it back. */
  catchUp(): void;
  /** The command has ended: hands on the rest. */
  finish(): Promise<void>;
  /** Reads no more (the command could not be started, or has been read to its end). */
  stop(): void;
};

/**
 * Reads a stream in raw chunks, handing on whole lines and pausing while asked to, until
 * `drain()`: from then on it reads to the end without pausing.
 */
function readLines(stream: Readable, onLines: OnLines): Reader {
  const splitter = new LineSplitter(onLines);
  let draining = false;
  const hold = (wait: Wait) => {
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
    // A pipe's bytes come as they are written: nothing waits to be caught up with.
    catchUp() {},
    // A pipe has ended by the time its command's "close" comes.
    async finish() {},
    stop() {},
  };
}

/**
 * Reads an output file as its command writes it, every FILE_POLL_MS, handing on whole lines.
 * While the sink holds back, the file is simply not read: the command writes on regardless.
 */
function followOutputFile(file: OutputFile, onLines: OnLines): Reader {
  const splitter = new LineSplitter(onLines);
  let held: Promise<void> | undefined;
  let draining = false;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const hold = (wait: Wait) => {
    if (!wait || draining) return;
    // A failed write is the sink's to report; reading goes on either way.
    held = wait.then(
      () => undefined,
      () => undefined,
    );
    const settled = held;
    settled.then(() => {
      if (held !== settled) return;
      held = undefined;
      schedule(0);
    });
  };
  /** Reads up to `limit` bytes, unless held; true if there may be more. */
  const read = (limit: number): boolean => {
    for (let bytes = 0; bytes < limit; ) {
      if (held) return false;
      const chunk = file.next();
      if (!chunk) return false;
      bytes += chunk.length;
      hold(splitter.push(chunk));
    }
    return true;
  };
  const schedule = (ms: number) => {
    if (finished || held || timer || immediate) return;
    const poll = () => {
      timer = undefined;
      immediate = undefined;
      schedule(read(FILE_BYTES_PER_TURN) ? 0 : FILE_POLL_MS);
    };
    if (ms === 0) immediate = setImmediate(poll);
    else timer = setTimeout(poll, ms);
  };
  schedule(0);
  return {
    // The command never waits on the file, but a stopped one's end must not wait on the sink.
    drain() {
      draining = true;
      held = undefined;
      schedule(0);
    },
    catchUp() {
      read(Number.POSITIVE_INFINITY);
    },
    stop() {
      finished = true;
      clearTimeout(timer);
      clearImmediate(immediate);
    },
    async finish() {
      this.stop();
      // What was written by now; a process that left the group could write on forever.
      const end = file.size();
      for (;;) {
        if (held) await held;
        else if (file.bytesRead >= end) break;
        else if (read(FILE_BYTES_PER_TURN)) await nextTurn();
        else if (!held) break;
      }
      hold(splitter.end());
      file.commandEnded();
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
