import { configSafePath } from "./supervisor-paths.js";

/** The command a program runs: `file` (absolute) with exactly `args`, in `cwd`, with only `env`. */
export type ProgramCommand = {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
};

/** What supervisord keeps running for one release: its command and its restart and log policy. */
export type ProgramSpec = {
  /** supervisord's program (and group) name, also its files' names: [a-z0-9-], a letter or digit first. */
  name: string;
  command: ProgramCommand;
  /** Absolute path of the program's stdout+stderr log; rotated by supervisord. */
  logFile: string;
  /** Size at which the log rotates; 0 never rotates. */
  logMaxBytes: number;
  /** Rotated logs kept beside logFile. */
  logBackups: number;
  /** Seconds the process must stay up for a start to count (supervisord's startsecs). */
  startSecs: number;
  /** Failed starts in a row before supervisord gives up (FATAL). */
  startRetries: number;
  /** Seconds between SIGTERM and SIGKILL when stopping the process group; at most MAX_STOP_WAIT_SECS. */
  stopWaitSecs: number;
};

/** The longest stop a spec may ask for: removing or replacing a program waits for its stop. */
export const MAX_STOP_WAIT_SECS = 90;

const PROGRAM_NAME = /^[a-z0-9][a-z0-9-]{0,199}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `name`, when it is a valid program name; throws naming the rule otherwise. */
export function checkProgramName(name: string): string {
  if (!PROGRAM_NAME.test(name)) {
    throw new Error(
      `program name must be 1-200 of a-z, 0-9 and -, starting with a letter or digit (got ${JSON.stringify(name)})`,
    );
  }
  return name;
}

/**
 * Checks a spec at the edge, once: every problem a person can fix, named. Arguments and
 * environment values may hold anything (they are quoted) except NUL, which no process can receive.
 */
export function checkProgramSpec(spec: ProgramSpec): ProgramSpec {
  checkProgramName(spec.name);
  const { file, args, cwd, env } = spec.command;
  // env(1) would read a command name holding "=" as one more variable.
  if (!file.startsWith("/") || file.includes("=") || file.includes("\0")) {
    throw new Error(
      `command file must be an absolute path without "=" (got ${JSON.stringify(file)})`,
    );
  }
  if (args.some((arg) => arg.includes("\0"))) throw new Error("a command argument holds NUL");
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_NAME.test(key))
      throw new Error(`environment name ${JSON.stringify(key)} is not valid`);
    if (value.includes("\0")) throw new Error(`environment variable ${key} holds NUL`);
  }
  configSafePath("command cwd", cwd);
  configSafePath("logFile", spec.logFile);
  for (const field of [
    "logMaxBytes",
    "logBackups",
    "startSecs",
    "startRetries",
    "stopWaitSecs",
  ] as const) {
    if (!Number.isSafeInteger(spec[field]) || spec[field] < 0) {
      throw new Error(`${field} must be a whole number >= 0 (got ${spec[field]})`);
    }
  }
  if (spec.stopWaitSecs > MAX_STOP_WAIT_SECS) {
    throw new Error(
      `stopWaitSecs must be at most ${MAX_STOP_WAIT_SECS} (got ${spec.stopWaitSecs})`,
    );
  }
  return spec;
}
