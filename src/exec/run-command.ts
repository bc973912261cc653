import { execa } from "execa";

export type OutputStream = "stdout" | "stderr";
export type LineSink = (stream: OutputStream, line: string) => void;

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
 * Runs a command without a shell in its own process group, streams its output line by line
 * to `onLine` (nothing is buffered), and kills the whole group on timeout or abort.
 * Resolves with how it ended; rejects only when the command could not be started.
 */
export async function runCommand(
  command: Command,
  options: {
    onLine: LineSink;
    timeoutMs: number;
    signal?: AbortSignal;
    /** Learns the command's process group (its pid) as soon as it runs. */
    onSpawn?: (pgid: number) => void;
  },
): Promise<CommandResult> {
  const { onLine, timeoutMs, signal, onSpawn } = options;
  // execa line transforms: each one consumes its lines and yields none, so nothing is buffered.
  const lineTo = (stream: OutputStream) =>
    // biome-ignore lint/correctness/useYield: yielding nothing is the point
    function* (line: unknown) {
      onLine(stream, line as string);
    };

  const child = execa(command.file, command.args, {
    cwd: command.cwd,
    env: command.env,
    extendEnv: false,
    detached: true,
    stdin: "ignore",
    stdout: lineTo("stdout"),
    stderr: lineTo("stderr"),
    buffer: false,
    reject: false,
  });

  if (child.pid !== undefined) onSpawn?.(child.pid);

  let timedOut = false;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stopGroup = () => {
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
    const result = await child;
    if (result.failed && result.exitCode === undefined && !result.signal) {
      throw new Error(`could not start ${command.file}: ${result.shortMessage}`, {
        cause: result,
      });
    }
    return {
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      timedOut,
      aborted,
    };
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
    signal?.removeEventListener("abort", onAbort);
    // Whatever the command left running in its group (watchers, daemons) ends with it.
    signalGroup(child.pid, "SIGKILL");
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
