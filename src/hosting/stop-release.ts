import { stopProcessGroup } from "../releases/process-group.js";
import type { StoppableRelease } from "../store/releases.js";
import type { ReleaseHost } from "./release-host.js";
import { stopReleaseProgram } from "./release-program.js";

const STOP_GRACE_MS = 10_000;

/**
 * Stops a release however it runs: its supervisord program (removed, so nothing restarts it),
 * or, for one started before releases were supervised, its process group. Says how it went.
 */
export async function stopRelease(
  host: ReleaseHost,
  release: StoppableRelease,
): Promise<"stopped" | "killed" | "gone"> {
  if (release.releaseProgram) {
    await stopReleaseProgram(host, release.releaseProgram, release.releaseLog);
    return "stopped";
  }
  if (release.releasePid === null) return "gone";
  return stopProcessGroup(release.releasePid, STOP_GRACE_MS);
}
