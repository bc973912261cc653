import { processStartTicks } from "../exec/process-identity.js";
import type { ReleaseHost } from "./release-host.js";

/**
 * Whether supervisord itself started after the release's recorded process (`startTicks`): then
 * a new process of the program is the release started again by a supervisord that came back
 * (a reboot, a kill), not the app crashing. False when the record does not say when it started.
 */
export async function supervisorStartedSince(
  host: ReleaseHost,
  startTicks: bigint | null,
): Promise<boolean> {
  if (startTicks === null) return false;
  const supervisord = Number(await host.supervisor.call("supervisor.getPID"));
  const born = processStartTicks(supervisord);
  return born !== null && born > startTicks;
}
