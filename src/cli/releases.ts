import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config.js";
import { UsageError } from "../errors.js";
import { processStartTicks } from "../exec/process-identity.js";
import { openReleaseHost, type ReleaseHost } from "../hosting/release-host.js";
import { unlinkProject } from "../hosting/release-socket.js";
import { stopRelease } from "../hosting/stop-release.js";
import { removeRoute } from "../router/remove-route.js";
import {
  clearLiveDeployment,
  type LiveRelease,
  listLiveReleases,
  projectLiveRelease,
  restartRecorded,
} from "../store/live-releases.js";
import { connectDb, type Db } from "../store/prisma.js";
import { markReleaseStopped } from "../store/releases.js";
import {
  MAX_STOP_WAIT_SECS,
  programState,
  restartProgram,
  type SupervisorClient,
} from "../supervision/index.js";
import { projectOption } from "./cli-arguments.js";
import {
  formatUptime,
  MEMORY_SOURCE,
  type ReleaseStatus,
  releaseStatus,
} from "./release-status.js";
import { terminalText } from "./terminal-text.js";

type Out = NodeJS.WritableStream;

// supervisord answers a stop once the group is gone: SIGKILL after stopwaitsecs at the latest.
const STOP_TIMEOUT_MS = (MAX_STOP_WAIT_SECS + 30) * 1000;
const POLL_MS = 100;
// The socket errors that mean nothing answers there.
const UNREACHABLE = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "ECONNRESET"]);

/** `coduck-worker releases list [--project P] [--json]`: each project's live release, now. */
export async function listReleasesCommand(
  config: Config,
  options: { project?: string; json?: boolean },
  io: { out: Out; err: Out },
): Promise<void> {
  const slug = options.project === undefined ? undefined : projectOption(options.project);
  const live = await withDb(config, async (db) => {
    if (slug !== undefined && !(await projectLiveRelease(db, slug)))
      throw new UsageError(`no project ${slug}`);
    return listLiveReleases(db, slug);
  });
  let host: ReleaseHost | null = null;
  if (live.length > 0) {
    host = await openReleaseHost(config).catch((error: Error) => {
      io.err.write(`warning: supervisord or Caddy unreachable, states unknown: ${error.message}\n`);
      return null;
    });
  }
  const rows = await Promise.all(live.map((l) => releaseStatus(host, l.project.slug, l.release)));
  if (options.json) {
    out(io.out, JSON.stringify({ memory: MEMORY_SOURCE, releases: rows }, null, 2));
    return;
  }
  if (rows.length === 0) {
    out(io.out, slug ? `nothing live for ${slug}` : "no live releases");
    return;
  }
  out(io.out, `${releaseTable(rows)}\nmemory: ${MEMORY_SOURCE}`);
}

/**
 * `coduck-worker releases restart --project P`: supervisord stops the live release's program
 * (its whole process group) and starts it again; prints the new pid.
 */
export async function restartReleaseCommand(
  config: Config,
  options: { project: string },
  out: Out,
): Promise<void> {
  const slug = projectOption(options.project);
  await withDb(config, async (db) => {
    const release = liveOf(slug, await projectLiveRelease(db, slug));
    const program = release.releaseProgram;
    if (!program)
      throw new UsageError(
        `the live release of ${slug} (${release.id}) was started before releases were supervised: redeploy the project to run it under supervisord, then restart it`,
      );
    const host = await reachHost(config);
    const client = host.supervisor;
    const before = await supervisor(host, () => programState(client, program));
    if (!before)
      throw new Error(
        `supervisord has no program ${program} for the live release of ${slug}: the worker's reconciliation defines it again, or redeploy`,
      );
    const started = await supervisor(host, () =>
      restartRecorded(
        db,
        release.id,
        async () => {
          await restartProgram(client, program);
          const state = await programState(client, program);
          if (!state?.pid)
            throw new Error(
              `${program} did not start again: ${state?.spawnErr ?? state?.state ?? "gone"}`,
            );
          return { pid: state.pid, startTicks: processStartTicks(state.pid) };
        },
        STOP_TIMEOUT_MS + 30_000,
      ),
    );
    const after = await supervisor(host, () =>
      settled(client, program, started.pid, config.releases.startSecs),
    );
    if (after?.pid !== started.pid || after.state !== "RUNNING")
      throw new Error(
        `the live release of ${slug} did not stay up after its restart (${after?.state ?? "gone"}): see releases list and its deployment's logs`,
      );
    out.write(
      `restarted ${slug}: release ${release.id} runs as pid ${started.pid} (was ${before.pid ?? "not running"}), ${after.state}\n`,
    );
  });
}

/**
 * What supervisord says of the process `pid` once it has left STARTING: RUNNING after it lived
 * `startSecs`, or how it went down. Waits at most `startSecs` and half a minute more.
 */
async function settled(client: SupervisorClient, program: string, pid: number, startSecs: number) {
  const deadline = Date.now() + (startSecs + 30) * 1000;
  for (;;) {
    const state = await programState(client, program);
    if (state?.pid !== pid || state.state !== "STARTING" || Date.now() > deadline) return state;
    await sleep(POLL_MS);
  }
}

/**
 * `coduck-worker releases stop --project P`: the project goes off the air until its next
 * deploy. Its record first says nothing is live (so nothing brings the release back), then its
 * route is removed (its address answers 404) and its release stopped.
 */
export async function stopReleaseCommand(
  config: Config,
  options: { project: string },
  out: Out,
): Promise<void> {
  const slug = projectOption(options.project);
  await withDb(config, async (db) => {
    const found = await projectLiveRelease(db, slug);
    const release = liveOf(slug, found);
    const host = await reachHost(config);
    if (!(await clearLiveDeployment(db, found!.project.id, release.id)))
      throw new Error(
        `the live release of ${slug} changed meanwhile (a deploy went live?): nothing stopped`,
      );
    await removeRoute(host.router, slug);
    await unlinkProject(host.dataDir, slug);
    const how = await supervisor(host, () => stopRelease(host, release));
    await markReleaseStopped(db, release.id);
    const url = release.releaseUrl ?? host.urlOf(slug);
    out.write(
      `stopped ${slug}: release ${release.id} ${how === "killed" ? "killed after the grace period" : how === "gone" ? "was already gone" : "stopped"}, route removed; ${url} answers 404 until the next deploy\n`,
    );
  });
}

function liveOf(slug: string, found: Awaited<ReturnType<typeof projectLiveRelease>>): LiveRelease {
  if (!found) throw new UsageError(`no project ${slug}`);
  if (!found.release) throw new UsageError(`nothing is live for ${slug}: deploy it first`);
  return found.release;
}

/** The release host, or an error that says it could not be reached. */
async function reachHost(config: Config): Promise<ReleaseHost> {
  try {
    return await openReleaseHost(config);
  } catch (error) {
    throw new Error(`supervisord or Caddy unreachable: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Runs calls to supervisord; a socket nobody answers on becomes one clear error. */
async function supervisor<T>(host: ReleaseHost, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code && UNREACHABLE.has(code))
      throw new Error(
        `supervisord unreachable at ${host.supervisor.socketPath} (${code}): is it running?`,
        { cause: error },
      );
    throw error;
  }
}

async function withDb<T>(config: Config, work: (db: Db) => Promise<T>): Promise<T> {
  const db = connectDb(config.databaseUrl);
  try {
    return await work(db);
  } finally {
    await db.$disconnect();
  }
}

const COLUMNS = [
  "PROJECT",
  "DEPLOYMENT",
  "URL",
  "UPSTREAM",
  "STATE",
  "PID",
  "UPTIME",
  "RESTARTS",
  "LAST EXIT",
  "CRASHED",
  "MEMORY",
] as const;

/** The list as aligned columns under a header; `-` where there is nothing to show. */
function releaseTable(rows: ReleaseStatus[]): string {
  const cells = rows.map((r) =>
    [
      r.project,
      r.deploymentId,
      r.url ?? "-",
      r.upstream ?? "-",
      r.state,
      r.pid === null ? "-" : String(r.pid),
      r.uptimeSeconds === null ? "-" : formatUptime(r.uptimeSeconds),
      String(r.restarts),
      r.lastExit ?? "-",
      r.crashedAt ?? "-",
      r.memoryBytes === null ? "-" : `${(r.memoryBytes / 1024 / 1024).toFixed(1)} MiB`,
    ].map(terminalText),
  );
  const all = [[...COLUMNS], ...cells];
  const widths = COLUMNS.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function out(stream: Out, text: string): void {
  stream.write(`${text}\n`);
}
