/** Characters of one line that rules are matched against: tools put the cause first. */
export const MAX_MATCHED_CHARS = 4096;

/** Characters of a line kept as evidence. */
export const MAX_EVIDENCE_CHARS = 400;

// CSI (colours, cursor moves), OSC (titles, links) and two-byte escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: escapes are what it removes
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

// What timestamping and log shippers put before a tool's line, one at a time (a line may carry
// several: a shipper's timestamp, then its tag). Anchored, each quantifier bounded but the
// blanks that end it, so a line is read once (scan/backtracking-hazards.ts).
export const LINE_PREFIX = new RegExp(
  `^(?:${[
    // 2026-11-03T14:22:05.123Z, 2026-11-03 14:22:05 UTC, bracketed or not
    String.raw`\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z| ?[+-]\d\d:?\d\d| UTC)?\]?`,
    // [14:22:05.123]
    String.raw`\[\d\d:\d\d:\d\d(?:[.,]\d{1,9})?\]`,
    // syslog and journald: Nov 03 14:22:05 host proc[123]:
    String.raw`[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d [\w.-]{1,64} [\w./@-]{1,64}(?:\[\d{1,10}\])?:`,
    // Heroku's app[web.1]: and router[…]: (not rustc's error[E0433]:)
    String.raw`(?!error|warn)[a-z][\w-]{0,31}\[[\w.-]{1,32}\]:`,
    // a shipper's tag, [build-3] |, and docker compose's service, web-1  |
    String.raw`\[[\w.:-]{1,64}\] \|`,
    String.raw`[\w.-]{1,64} {1,16}\|`,
    // a JSON envelope's string fields before the line: {"stream":"stdout","pod":"web-1"}
    String.raw`\{"[\w.-]{1,32}": ?"[^"\\]{0,128}"(?:, ?"[\w.-]{1,32}": ?"[^"\\]{0,128}"){0,8}\}`,
  ].join("|")})[ \t]+`,
);
// Prefixes taken off one line at most.
const MAX_PREFIXES = 4;

/**
 * A log line as a person saw it on a terminal, cut to what rules read: ANSI escapes removed,
 * of a line redrawn with carriage returns (a progress bar) its last state, and without the
 * timestamps and log shippers' prefixes before the tool's own text (lineWithoutPrefix).
 */
export function lineText(raw: string): string {
  return lineWithoutPrefix(terminalText(raw));
}

/** lineText before prefixes are taken off: what the log scanner finds literals in. */
export function terminalText(raw: string): string {
  // Escapes and redraws can hide in the part cut off: keep some slack before cutting again.
  let text = raw.length > 2 * MAX_MATCHED_CHARS ? raw.slice(0, 2 * MAX_MATCHED_CHARS) : raw;
  if (text.includes("\x1b")) text = text.replace(ANSI, "");
  if (text.includes("\r")) text = lastRedraw(text);
  return text.length > MAX_MATCHED_CHARS ? text.slice(0, MAX_MATCHED_CHARS) : text;
}

/**
 * The line without the timestamps and shippers' prefixes before it (`app[web.1]: `,
 * `Nov 03 14:22:05 host proc[123]: `, `{"stream":"stdout"} `, `2026-11-03T14:22:05Z `): a
 * rule reads a tool's line as the tool printed it, `^` at its start. Always a suffix of `text`.
 */
export function lineWithoutPrefix(text: string): string {
  let rest = text;
  for (let i = 0; i < MAX_PREFIXES; i++) {
    const prefix = LINE_PREFIX.exec(rest);
    if (!prefix) break;
    rest = rest.slice(prefix[0].length);
  }
  return rest;
}

/** The last part between carriage returns that is not blank (the one holding the last ink), or "". */
function lastRedraw(text: string): string {
  const ink = text.trimEnd().length - 1;
  if (ink < 0) return "";
  const end = text.indexOf("\r", ink);
  return text.slice(text.lastIndexOf("\r", ink) + 1, end === -1 ? undefined : end);
}

/** The line as evidence: trimmed and capped. */
export function evidenceText(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > MAX_EVIDENCE_CHARS ? `${trimmed.slice(0, MAX_EVIDENCE_CHARS)}…` : trimmed;
}
