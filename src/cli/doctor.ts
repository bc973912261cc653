import type { Config } from "../config.js";
import { runDoctor } from "../doctor/run-doctor.js";

/**
 * `coduck-worker doctor [--json]`: one line per check, `ok`, `warn` or `fail`, with what to do.
 * Resolves 0 when nothing failed (warnings do not fail), 1 otherwise.
 */
export async function doctorCommand(
  config: Config,
  options: { json?: boolean },
  out: NodeJS.WritableStream,
): Promise<number> {
  const lines = await runDoctor(config);
  if (options.json) {
    out.write(`${JSON.stringify(lines, null, 2)}\n`);
  } else {
    const width = Math.max(...lines.map((line) => line.check.length));
    for (const line of lines) {
      const fix = line.fix ? ` → ${line.fix}` : "";
      out.write(`${line.status.padEnd(4)}  ${line.check.padEnd(width)}  ${line.message}${fix}\n`);
    }
  }
  return lines.some((line) => line.status === "fail") ? 1 : 0;
}
