import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { execa } from "execa";

/**
 * Runs a Postgres client tool without a shell and with only the given environment. With
 * `stdout`, its output is piped there as it comes. Rejects with the tool's last error line
 * when it fails.
 */
export async function runPgTool(
  file: string,
  args: string[],
  env: Record<string, string>,
  options: {
    stdout?: Writable;
    stdin?: NodeJS.ReadableStream;
    signal?: AbortSignal;
    /** Past it the tool is stopped (SIGTERM), so a stuck run cannot hold the project's lane. */
    timeoutMs?: number;
  } = {},
): Promise<string> {
  const child = execa(file, args, {
    env,
    extendEnv: false,
    reject: false,
    stdin: options.stdin ? "pipe" : "ignore",
    buffer: { stdout: !options.stdout, stderr: true },
    maxBuffer: { stdout: 64 * 1024 * 1024, stderr: 1024 * 1024 },
    cancelSignal: options.signal,
    timeout: options.timeoutMs,
  });
  const piping: Promise<void>[] = [];
  if (options.stdout) piping.push(pipeline(child.stdout!, options.stdout));
  if (options.stdin) piping.push(pipeline(options.stdin, child.stdin!));
  const [result, ...piped] = await Promise.allSettled([child, ...piping]);
  const ended = result.status === "fulfilled" ? result.value : null;
  if (ended?.timedOut) {
    throw new PgToolError(
      `${file.split("/").pop()} ran past ${Math.round((options.timeoutMs ?? 0) / 1000)} s (STEP_TIMEOUT_SECONDS) and was stopped`,
    );
  }
  if (!ended || ended.failed) {
    throw new PgToolError(
      `${file.split("/").pop()} failed: ${lastError(ended?.stderr, ended?.shortMessage)}`,
      ended?.exitCode,
    );
  }
  const pipeFailure = piped.find((p) => p.status === "rejected");
  if (pipeFailure) throw (pipeFailure as PromiseRejectedResult).reason;
  return typeof ended.stdout === "string" ? ended.stdout : "";
}

/** A tool that ran and failed (as opposed to a broken pipe to or from it). */
export class PgToolError extends Error {
  override name = "PgToolError";
  constructor(
    message: string,
    /** Its exit status when it exited by itself; undefined when it was stopped. */
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

/** The line of a tool's stderr that says what went wrong: its last `ERROR:`/`FATAL:`, or its last. */
function lastError(stderr: unknown, fallback: string | undefined): string {
  const lines = String(stderr ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const error = lines.findLast((line) => /\b(ERROR|FATAL|error):/.test(line));
  return (error ?? lines.at(-1) ?? fallback ?? "no output").slice(0, 1000);
}
