import { classifyLog } from "../failures/classify.js";
import type { ReleaseExitCause } from "../store/release-restarts.js";
import type { ProcessExit } from "./last-exit.js";

/**
 * What a live release's process ending says of it: its log's tail read with the failure
 * catalogue as `runtime` output (a documented failure, or OUT_OF_MEMORY from the box's
 * out-of-memory line or a SIGKILL); when the log names no cause, START_CRASHED, the catalogue's
 * "the app exited" for the start and runtime steps. The evidence is the lines that show it, or
 * how the process ended.
 */
export async function exitCause(logTail: string, exit: ProcessExit): Promise<ReleaseExitCause> {
  const verdict = await classifyLog({
    step: "runtime",
    log: logTail,
    exitCode: exit.code,
    signal: exit.signal,
  });
  const code = verdict.code === "UNKNOWN" ? "START_CRASHED" : verdict.code;
  const lines = verdict.evidence.map((e) => e.text);
  return {
    code,
    evidence: lines.length > 0 ? lines.join("\n") : `the app's process ended: ${exit.text}`,
  };
}
