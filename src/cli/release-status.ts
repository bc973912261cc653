import { groupRssBytes } from "../exec/group-rss.js";
import { processStartTicks } from "../exec/process-identity.js";
import type { ReleaseHost } from "../hosting/release-host.js";
import type { LiveRelease } from "../store/live-releases.js";
import { type ProgramStateName, programState } from "../supervision/index.js";

/** How a release's memory is measured: said beside every figure, since it is not the cgroup's. */
export const MEMORY_SOURCE = "VmRSS summed over the release's process group (/proc)";

/**
 * A live release as `releases list` shows it. `state` is supervisord's (programState), or
 * `unsupervised` (started before releases were supervised), `missing` (supervisord has no
 * such program) or `unknown` (supervisord did not answer).
 */
export type ReleaseStatus = {
  project: string;
  deploymentId: string;
  url: string | null;
  upstream: string | null;
  program: string | null;
  state: ProgramStateName | "unsupervised" | "missing" | "unknown";
  pid: number | null;
  uptimeSeconds: number | null;
  restarts: number;
  lastExit: string | null;
  lastRestartAt: string | null;
  crashedAt: string | null;
  memoryBytes: number | null;
};

/** What supervisord and /proc say of the project's live release now; `host` null: unreachable. */
export async function releaseStatus(
  host: ReleaseHost | null,
  project: string,
  release: LiveRelease,
  now = new Date(),
): Promise<ReleaseStatus> {
  const upstream = release.releasePort === null ? null : `127.0.0.1:${release.releasePort}`;
  const shown = {
    project,
    deploymentId: release.id,
    // A release that went live before routing has only its upstream's own address.
    url: release.releaseUrl ?? (upstream && `http://${upstream}`),
    upstream,
    program: release.releaseProgram,
    restarts: release.releaseRestarts,
    lastExit: release.releaseLastExit,
    lastRestartAt: release.releaseLastRestartAt?.toISOString() ?? null,
    crashedAt: release.releaseCrashedAt?.toISOString() ?? null,
  };
  const running = await processOf(host, release);
  const uptimeSeconds =
    running.startedAt && running.pid !== null
      ? Math.max(0, Math.round((now.getTime() - running.startedAt.getTime()) / 1000))
      : null;
  return {
    ...shown,
    state: running.state,
    pid: running.pid,
    uptimeSeconds,
    // supervisord makes each program's process its group's leader; the box's processes stay in it.
    memoryBytes: running.pid === null ? null : groupRssBytes(running.pid),
  };
}

async function processOf(
  host: ReleaseHost | null,
  release: LiveRelease,
): Promise<{ state: ReleaseStatus["state"]; pid: number | null; startedAt: Date | null }> {
  if (!release.releaseProgram) {
    // Its process group, if the pid still names the process that was started.
    const alive =
      release.releasePid !== null &&
      release.releaseStartTicks !== null &&
      processStartTicks(release.releasePid) === release.releaseStartTicks;
    return {
      state: "unsupervised",
      pid: alive ? release.releasePid : null,
      startedAt: alive ? release.releaseStartedAt : null,
    };
  }
  if (!host) return { state: "unknown", pid: null, startedAt: null };
  const state = await programState(host.supervisor, release.releaseProgram).catch(() => undefined);
  if (state === undefined) return { state: "unknown", pid: null, startedAt: null };
  if (state === null) return { state: "missing", pid: null, startedAt: null };
  return { state: state.state, pid: state.pid, startedAt: state.startedAt };
}

/** `3d4h`, `2h05m`, `4m10s`, `12s`. */
export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}
