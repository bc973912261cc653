import type { Config } from "../config.js";
import type { Check, CheckResult } from "./check.js";
import { CHECKS } from "./checks/index.js";
import { createDoctorContext } from "./doctor-context.js";

export type DoctorLine = CheckResult & { check: string };

/** Runs every check in order; a check that throws is a fail with its error, not a crash. */
export async function runDoctor(
  config: Config,
  checks: readonly Check[] = CHECKS,
): Promise<DoctorLine[]> {
  const ctx = createDoctorContext(config);
  const lines: DoctorLine[] = [];
  try {
    for (const check of checks) {
      const result = await check.run(ctx).catch(
        (error: unknown): CheckResult => ({
          status: "fail",
          message: `the check itself failed: ${error instanceof Error ? error.message : String(error)}`,
          fix: "run again with LOG_LEVEL=debug and report it",
        }),
      );
      lines.push({ check: check.name, ...result });
    }
  } finally {
    await ctx.close();
  }
  return lines;
}
