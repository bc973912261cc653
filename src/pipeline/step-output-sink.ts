import { bothSettled, forEachLine, linesText } from "../exec/output-lines.js";
import type { OutputSink } from "../exec/run-command.js";
import type { SpooledClassifier } from "./spooled-classifier.js";
import type { StepLog } from "./step-log.js";

/**
 * Where a step's command output goes: to the step log, to the classifier, and each line to
 * `onLine` if given. The command waits while either of the first two is behind. Given to
 * runCommand with the classifier's `stdoutFile`.
 */
export function stepOutputSink(
  log: StepLog,
  classifier: SpooledClassifier,
  onLine?: (line: string) => void,
): OutputSink {
  return (stream, lines) => {
    const stored = log.writeOutput(stream, lines);
    // Stdout read from the classifier's own file is spooled already: it need only wait for it.
    const classified =
      stream === "stdout" && classifier.stdoutFile ? classifier.pending() : classifier.write(lines);
    if (onLine) forEachLine(linesText(lines), onLine);
    return bothSettled(stored, classified);
  };
}
