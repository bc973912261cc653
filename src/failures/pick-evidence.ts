import { MAX_MATCHED_CHARS } from "./scan/line-text.js";

// Tested on the line without its leading blanks (none of these begins with one): `^\s*` would
// try every alternative again at each blank of a long run of them.
const ERROR_START =
  /^(fatal:|error:|error\b|npm (error|ERR!)|ERR_|[A-Z]\w*Error\b|\w+ error TS\d+)/i;
// Like the rules, it reads a line's first MAX_MATCHED_CHARS characters.
const isErrorLine = (line: string) =>
  ERROR_START.test(
    (line.length > MAX_MATCHED_CHARS ? line.slice(0, MAX_MATCHED_CHARS) : line).trimStart(),
  );
const NOT_BLANK = /\S/;
const EMPTY_NPM_LINE = /^npm (error|ERR!)(\s+code\s+\S+)?\s*$/i;

/**
 * The line that best shows why a command failed: the first informative line of the last
 * burst of error lines (git and npm print the cause first, then advice), else the last line.
 */
export function pickEvidence(lines: readonly string[]): string | undefined {
  let end = lines.length - 1;
  while (end >= 0 && !isErrorLine(lines[end]!)) end--;
  if (end < 0) return lines.findLast((line) => NOT_BLANK.test(line));
  let start = end;
  while (start > 0 && isErrorLine(lines[start - 1]!)) start--;
  const burst = lines.slice(start, end + 1);
  return (burst.find((line) => !EMPTY_NPM_LINE.test(line)) ?? burst[0])!.trim();
}
