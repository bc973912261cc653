const ERROR_LINE =
  /^\s*(fatal:|error:|error\b|npm (error|ERR!)|ERR_|[A-Z]\w*Error\b|\w+ error TS\d+)/i;
const EMPTY_NPM_LINE = /^npm (error|ERR!)(\s+code\s+\S+)?\s*$/i;

/**
 * The line that best shows why a command failed: the first informative line of the last
 * burst of error lines (git and npm print the cause first, then advice), else the last line.
 */
export function pickEvidence(lines: readonly string[]): string | undefined {
  let end = lines.length - 1;
  while (end >= 0 && !ERROR_LINE.test(lines[end]!)) end--;
  if (end < 0) return lines.findLast((line) => line.trim() !== "");
  let start = end;
  while (start > 0 && ERROR_LINE.test(lines[start - 1]!)) start--;
  const burst = lines.slice(start, end + 1);
  return (burst.find((line) => !EMPTY_NPM_LINE.test(line)) ?? burst[0])!.trim();
}
