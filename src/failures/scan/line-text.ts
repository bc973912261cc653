/** Characters of one line that rules are matched against: tools put the cause first. */
export const MAX_MATCHED_CHARS = 4096;

/** Characters of a line kept as evidence. */
export const MAX_EVIDENCE_CHARS = 400;

// CSI (colours, cursor moves), OSC (titles, links) and two-byte escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: escapes are what it removes
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/**
 * A log line as a person saw it on a terminal, cut to what rules read: ANSI escapes removed,
 * and of a line redrawn with carriage returns (a progress bar), its last state.
 */
export function lineText(raw: string): string {
  // Escapes and redraws can hide in the part cut off: keep some slack before cutting again.
  let text = raw.length > 2 * MAX_MATCHED_CHARS ? raw.slice(0, 2 * MAX_MATCHED_CHARS) : raw;
  if (text.includes("\x1b")) text = text.replace(ANSI, "");
  if (text.includes("\r")) text = lastRedraw(text);
  return text.length > MAX_MATCHED_CHARS ? text.slice(0, MAX_MATCHED_CHARS) : text;
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
