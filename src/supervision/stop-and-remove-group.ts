import type { SupervisorClient } from "./supervisor-client.js";
import { FAULT, isFault } from "./supervisor-fault.js";

// autorestart may start an exited process between our stop and our remove; a few rounds settle it.
const ATTEMPTS = 5;

/**
 * Stops the group `name` (SIGTERM to its process group, SIGKILL after its stopwaitsecs) and takes
 * it out of supervisord's active set. Already stopped, or absent: fine. `stopTimeoutMs` bounds the
 * wait for the stop; it must exceed the program's stopwaitsecs.
 */
export async function stopAndRemoveGroup(
  client: SupervisorClient,
  name: string,
  { stopTimeoutMs = 120_000 }: { stopTimeoutMs?: number } = {},
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.call("supervisor.stopProcess", [name, true], { timeoutMs: stopTimeoutMs });
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
