import type { ReleaseHost } from "./release-host.js";

/** How a release's process ended, as supervisord saw it. */
export type ProcessExit = {
  code: number | null;
  signal: string | null;
  /** `exit status 1`, `terminated by SIGKILL`, or `unknown` when supervisord's log no longer says. */
  text: string;
};

// The tail of supervisord's own log that is searched: many lines of its other programs fit.
const LOG_TAIL_BYTES = 64 * 1024;

/**
 * How the program's latest process ended, from supervisord's own log (`exited: <name> (exit
 * status 1; not expected)`): its process info keeps no signal, and forgets the exit status as
 * soon as the next process starts.
 */
export async function lastExitOf(host: ReleaseHost, program: string): Promise<ProcessExit> {
  let log: string;
  try {
    log = String(await host.supervisor.call("supervisor.readLog", [-LOG_TAIL_BYTES, 0]));
  } catch {
    return { code: null, signal: null, text: "unknown" };
  }
  return exitInLog(log, program);
}

/** The last `exited: <program> (…)` of a supervisord log, read. */
export function exitInLog(log: string, program: string): ProcessExit {
  const marker = `exited: ${program} (`;
  const at = log.lastIndexOf(marker);
  if (at < 0) return { code: null, signal: null, text: "unknown" };
  const end = log.indexOf(";", at);
  const text = log.slice(at + marker.length, end < 0 ? undefined : end).slice(0, 100);
  const status = /^exit status (\d{1,3})$/.exec(text);
  if (status) return { code: Number(status[1]), signal: null, text };
  const signal = /^terminated by (SIG[A-Z0-9]{1,10})$/.exec(text);
  if (signal) return { code: null, signal: signal[1]!, text };
  return { code: null, signal: null, text: "unknown" };
}
