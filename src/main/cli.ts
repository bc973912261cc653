import { ConfigError, UsageError } from "../errors.js";
import { buildProgram } from "./program.js";

/** The `coduck-worker` process: parses the command line, maps failures to exit codes. */
let exitCode = 0;
try {
  await buildProgram((code) => {
    exitCode = code;
  }).parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(
      `coduck-worker: invalid environment\n${error.problems.map((p) => `  ${p}\n`).join("")}`,
    );
    exitCode = 2;
  } else if (error instanceof UsageError) {
    process.stderr.write(`coduck-worker: ${error.message.replaceAll("\n", "\ncoduck-worker: ")}\n`);
    exitCode = 2;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`coduck-worker: ${message}\n`);
    if (process.env.LOG_LEVEL === "debug" && error instanceof Error)
      process.stderr.write(`${error.stack}\n`);
    exitCode = 1;
  }
}
process.exitCode = exitCode;
