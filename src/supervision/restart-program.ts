import { MAX_STOP_WAIT_SECS } from "./program-spec.js";
import type { SupervisorClient } from "./supervisor-client.js";
import { FAULT, isFault } from "./supervisor-fault.js";

/** Long enough for a stop that ends in SIGKILL after the longest stopwaitsecs. */
const STOP_TIMEOUT_MS = (MAX_STOP_WAIT_SECS + 30) * 1000;

/**
 * Stops the program's process group (if it runs) and starts it again; resolves once supervisord
 * has spawned the new process (STARTING), not once it counts as started. A start that finds it
 * already running (reconciliation got there between the stop and the start) is no error.
 */
export async function restartProgram(client: SupervisorClient, name: string): Promise<void> {
  try {
    await client.call("supervisor.stopProcess", [name, true], { timeoutMs: STOP_TIMEOUT_MS });
  } catch (error) {
    if (!isFault(error, FAULT.NOT_RUNNING)) throw error;
  }
  try {
    await client.call("supervisor.startProcess", [name, false]);
  } catch (error) {
    if (!isFault(error, FAULT.ALREADY_STARTED)) throw error;
  }
}
