import type { Config } from "../config.js";
import { UsageError } from "../errors.js";
import type { JobCleanSummary } from "../housekeeping/clean-finished-jobs.js";
import type { CachePruneSummary } from "../housekeeping/prune-caches.js";
import type { ReleasePruneSummary } from "../housekeeping/prune-releases.js";
import type { LogPruneSummary } from "../housekeeping/prune-step-logs.js";
import { HOUSEKEEPING_JOBS } from "../jobs/index.js";
import { hostIds } from "../store/hosts.js";
import { withQueue } from "./with-queue.js";

/**
 * `coduck-worker housekeeping run [--dry-run] [--only <job>] [--json]`: runs the housekeeping
 * jobs now, in this process, on this machine's DATA_DIR; each real run is recorded as a JobRun.
 */
export async function housekeepingRunCommand(
  config: Config,
  options: { dryRun?: boolean; only?: string; json?: boolean },
  out: NodeJS.WritableStream,
): Promise<void> {
  const jobs = options.only
    ? HOUSEKEEPING_JOBS.filter((job) => job.name === options.only)
    : HOUSEKEEPING_JOBS;
  if (jobs.length === 0) {
    throw new UsageError(
      `--only: no housekeeping job ${options.only}; expected one of ${HOUSEKEEPING_JOBS.map((j) => j.name).join(", ")}`,
    );
  }
  const run = { requestedBy: "cli", dryRun: options.dryRun === true };
  await withQueue(config, async (db, queues) => {
    // clean-jobs cleans every host's queues and the shared ones.
    const all = async () => queues.all(await hostIds(db));
    const summaries: Record<string, unknown> = {};
    for (const job of jobs) {
      const summary = await job.run({ db, config, queues: all }, run);
      summaries[job.name] = summary;
      if (!options.json) out.write(`${describe(job.name, summary)}\n`);
    }
    if (options.json) out.write(`${JSON.stringify(summaries, null, 2)}\n`);
  });
}

function describe(name: string, summary: object): string {
  if (name === "prune-releases") {
    const s = summary as ReleasePruneSummary;
    // A project moved away keeps none of its newest here: only what is live, deploying or runs.
    const moved = s.movedAway > 0 ? `, ${s.movedAway} of them moved to another host` : "";
    return `prune-releases: ${s.dryRun ? "would remove" : "removed"} ${s.removed} release directories, kept ${s.kept} (newest ${s.keep} per project; ${s.protected} more live, deploying or still running) in ${s.projects} projects${moved}${list(s.removedPaths, s.removed)}`;
  }
  if (name === "prune-logs") {
    const s = summary as LogPruneSummary;
    return `prune-logs: ${s.dryRun ? "would delete" : "deleted"} ${s.lines} stored log lines of ${s.steps} steps that ended before ${s.olderThan}`;
  }
  if (name === "prune-caches") {
    const s = summary as CachePruneSummary;
    return `prune-caches: ${s.dryRun ? "would remove" : "removed"} ${s.caches} dependency and build caches unused since ${s.olderThan}, the caches of ${s.projects} removed projects, ${s.packages} unused packages of the shared store`;
  }
  const s = summary as JobCleanSummary;
  const perQueue = Object.entries(s.removed)
    .map(([queue, n]) => `${queue} ${n.completed} completed, ${n.failed} failed`)
    .join("; ");
  return `clean-jobs: ${s.dryRun ? "would remove" : "removed"} jobs finished before ${s.olderThan}: ${perQueue}`;
}

function list(paths: string[], total: number): string {
  if (paths.length === 0) return "";
  const more = total > paths.length ? `\n  … and ${total - paths.length} more` : "";
  return `\n${paths.map((p) => `  ${p}`).join("\n")}${more}`;
}
