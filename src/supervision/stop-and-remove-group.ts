import { MAX_STOP_WAIT_SECS } from "./program-spec.js";
import type { SupervisorClient } from "./supervisor-client.js";
import { FAULT, isFault } from "./supervisor-fault.js";

// autorestart may start an exited process between our stop and our remove; a few rounds settle it.
const ATTEMPTS = 5;

// supervisord answers a stop once the group is gone: SIGKILL after stopwaitsecs at the latest.
const STOP_TIMEOUT_MS = (MAX_STOP_WAIT_SECS + 30) * 1000;

/**
 * Stops the group `name` (SIGTERM to its process group, SIGKILL after its stopwaitsecs) and takes
 * it out of supervisord's active set. Already stopped, or absent: fine.
 */
export async function stopAndRemoveGroup(client: SupervisorClient, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.call("supervisor.stopProcess", [name, true], { timeoutMs: STOP_TIMEOUT_MS });
    } catch (error) {
      if (isFault(error, FAULT.BAD_NAME)) return; // no such group: nothing to stop or remove
      if (!isFault(error, FAULT.NOT_RUNNING)) throw error;
    }
    try {
      await client.call("supervisor.removeProcessGroup", [name]);
      return;
    } catch (error) {
      if (isFault(error, FAULT.BAD_NAME)) return;
      if (!isFault(error, FAULT.STILL_RUNNING) || attempt === ATTEMPTS) throw error;
    }
  }
}
