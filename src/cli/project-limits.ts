import type { Config } from "../config.js";
import { projectSlug } from "../deploys/deploy-request.js";
import { UsageError } from "../errors.js";
import { checkedLimits } from "../exec/resource-limits.js";
import { type OwnLimits, setProjectBoxLimits } from "../store/box-limits.js";
import { connectDb } from "../store/prisma.js";

type Out = NodeJS.WritableStream;

/**
 * `coduck-worker projects limits <slug> [--memory-mb <n|default>] [--pids <n|default>]
 * [--cpu-shares <n|default>]`: a project's own limits for its boxes (every install, build and
 * preStart command, and its release), from its next deploy on; `default` goes back to the
 * worker's (BOX_MEMORY_MB, BOX_PIDS, BOX_CPU_SHARES). Without options it shows them.
 */
export async function projectLimitsCommand(
  config: Config,
  slug: string,
  options: { memoryMb?: string; pids?: string; cpuShares?: string },
  out: Out,
): Promise<void> {
  if (!projectSlug.safeParse(slug).success)
    throw new UsageError(`not a project slug: ${JSON.stringify(slug)}`);
  const change: Partial<OwnLimits> = {
    ...(options.memoryMb !== undefined && {
      memoryLimitMb: limitOf("--memory-mb", options.memoryMb),
    }),
    ...(options.pids !== undefined && { pidsLimit: limitOf("--pids", options.pids) }),
    ...(options.cpuShares !== undefined && {
      cpuShares: limitOf("--cpu-shares", options.cpuShares),
    }),
  };
  const { boxLimits } = config;
  // Refused before anything is written when a box could not start under it.
  try {
    checkedLimits({
      memoryBytes: (change.memoryLimitMb ?? boxLimits.memoryBytes / 2 ** 20) * 2 ** 20,
      pids: change.pidsLimit ?? boxLimits.pids,
      cpuShares: change.cpuShares ?? boxLimits.cpuShares,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const db = connectDb(config.databaseUrl);
  try {
    const own = await setProjectBoxLimits(db, slug, change);
    if (!own) throw new UsageError(`no project ${slug}: add it with projects add`);
    const shown = (value: number | null, fallback: number, unit = "") =>
      value === null ? `${fallback}${unit} (the worker's default)` : `${value}${unit}`;
    out.write(
      [
        `project ${slug}: each box (install, build, preStart, the release) may use`,
        `  memory      ${shown(own.memoryLimitMb, boxLimits.memoryBytes / 2 ** 20, " MiB")}`,
        `  processes   ${shown(own.pidsLimit, boxLimits.pids)}`,
        `  cpu shares  ${shown(own.cpuShares, boxLimits.cpuShares)}`,
        Object.keys(change).length > 0 ? "from its next deploy on\n" : "",
      ].join("\n"),
    );
  } finally {
    await db.$disconnect();
  }
}

/** A whole number for a limit, or null for `default`; anything else is refused naming the option. */
function limitOf(option: string, value: string): number | null {
  if (value === "default") return null;
  if (!/^\d{1,9}$/.test(value))
    throw new UsageError(
      `${option}: expected a whole number or default, got ${JSON.stringify(value)}`,
    );
  return Number(value);
}
