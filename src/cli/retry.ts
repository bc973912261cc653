import type { Config } from "../config.js";
import { projectSlug } from "../deploys/deploy-request.js";
import { latestFailedIds } from "../deploys/latest-failed.js";
import type { PlacingDeps } from "../deploys/queue-deployment.js";
import {
  planRetries,
  planRetry,
  type RetryResult,
  recordRetry,
} from "../deploys/retry-deployment.js";
import { UsageError } from "../errors.js";
import { FAILURE_CODES } from "../failures/codes.js";
import { osUser } from "./os-user.js";
import { reportQueued } from "./report-queued.js";
import { sinceDuration } from "./since-duration.js";
import { withQueue } from "./with-queue.js";

export type RetryOptions = {
  from?: string;
  allFailed?: boolean;
  project?: string;
  code?: string;
  since?: string;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
};

/**
 * `coduck-worker retry <id> [--from <step>]`, or `retry --all-failed [filters] [--dry-run]`
 * for an incident's clean-up. Returns the exit code: with --wait, 0 only when the retry
 * succeeded.
 */
export async function retryCommand(
  config: Config,
  id: string | undefined,
  options: RetryOptions,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
): Promise<number> {
  const filter = options.allFailed ? allFailedFilter(id, options) : null;
  if (!filter) {
    if (id === undefined) throw new UsageError("retry: give a deployment id, or --all-failed");
    const misplaced = (["project", "code", "since", "dryRun"] as const).filter(
      (name) => options[name] !== undefined,
    );
    if (misplaced.length > 0) {
      throw new UsageError(
        `${misplaced.map(flag).join(", ")}: only with --all-failed (a single retry takes <id> [--from <step>])`,
      );
    }
  }
  const requestedBy = osUser();
  return withQueue(config, async (db, queues, redis) => {
    if (filter) return await retryAllFailed({ db, queues, config }, filter, requestedBy, io.out);
    const planned = await planRetry(db, { deploymentId: id!, fromStep: options.from });
    const result = await recordRetry({ db, queues, config }, planned, requestedBy);
    const progress = options.json ? io.err : io.out;
    progress.write(`${describeRetry(result)}\n`);
    return await reportQueued(
      { db, queues, redis, hostDownAfterMs: config.host.downAfterMs },
      result,
      options,
      { out: io.out, progress },
    );
  });
}

type AllFailedFilter = { project?: string; code?: string; since?: Date; dryRun: boolean };

function allFailedFilter(id: string | undefined, options: RetryOptions): AllFailedFilter {
  if (id !== undefined) throw new UsageError("retry: give either a deployment id or --all-failed");
  if (options.from !== undefined)
    throw new UsageError(
      "--from: only with a deployment id (--all-failed retries each from its failed step)",
    );
  if (options.project !== undefined && !projectSlug.safeParse(options.project).success)
    throw new UsageError(`--project: not a project slug: ${JSON.stringify(options.project)}`);
  if (options.code !== undefined && !Object.hasOwn(FAILURE_CODES, options.code)) {
    throw new UsageError(
      `--code: no failure code ${JSON.stringify(options.code)}; the codes are ${Object.keys(FAILURE_CODES).join(", ")}`,
    );
  }
  return {
    project: options.project,
    code: options.code,
    since: options.since === undefined ? undefined : sinceDuration(options.since),
    dryRun: options.dryRun === true,
  };
}

/** Prints one line per deployment it retries (or, with --dry-run, would retry). */
async function retryAllFailed(
  deps: PlacingDeps,
  filter: AllFailedFilter,
  requestedBy: string | null,
  out: NodeJS.WritableStream,
): Promise<number> {
  // Which deployments, from the index alone; what each line shows (project, code, failed step)
  // from its plan, the plans' rows and steps read together rather than one line at a time.
  const failed = await latestFailedIds(deps.db, filter);
  if (failed.length === 0) {
    out.write("no failed deployments to retry\n");
    return 0;
  }
  const plans = await planRetries(deps.db, failed);
  for (const planned of plans) {
    const { retryOf } = planned;
    const from = planned.reused.length > 0 ? `from step ${planned.fromStep}` : "from the start";
    const failedStep = retryOf.steps.find((s) => s.status === "failed")?.name ?? "-";
    out.write(
      `${filter.dryRun ? "would retry" : "retrying"} ${retryOf.id}  ${retryOf.project.slug}  ${retryOf.errorCode ?? "-"} at ${failedStep}  ${from}\n`,
    );
  }
  if (filter.dryRun) {
    out.write(`dry run: ${plans.length} deployment(s) would be retried; nothing was recorded\n`);
    return 0;
  }
  for (const planned of plans) {
    const result = await recordRetry(deps, planned, requestedBy);
    out.write(`  queued ${result.deploymentId} (retry of ${result.retryOf})\n`);
  }
  return 0;
}

function describeRetry(result: RetryResult): string {
  const head = `queued deployment ${result.deploymentId}: retry ${result.retryNumber} of ${result.retryOf}`;
  if (result.reused.length === 0) {
    const why = result.notReused ? ` (nothing reusable: ${result.notReused})` : "";
    return `${head}, from the start${why}`;
  }
  return `${head}, from step ${result.fromStep}; reusing ${result.reused.join(", ")} from a copy of its release directory (provision always runs)`;
}

function flag(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
