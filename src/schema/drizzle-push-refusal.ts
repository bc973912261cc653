// drizzle-kit push asks before a statement that loses data (and before guessing a rename). With
// no terminal it prints the question, then `Error: Interactive prompts require a TTY terminal`;
// answered "No, abort", `[x] All changes were aborted`. Either way it applies nothing and exits
// 0. Captured with drizzle-kit 0.31.11 (test/schema/drizzle-push-refusal.test.ts).
const DATA_LOSS = /^· You're about to (?:delete|change|truncate|remove) .{1,300} with \d+ items$/;
const NOT_APPLIED =
  /\] All changes were aborted$|^Error: Interactive prompts require a TTY terminal/;

export type DrizzlePushRefusal = {
  /** `data-loss`: it listed statements that would lose data; `prompt`: another question. */
  kind: "data-loss" | "prompt";
  /** The lines that say so: the data-loss statements, else the line that ended the push. */
  evidence: string[];
};

/**
 * Whether the output of a command that exited 0 shows a `drizzle-kit push` that applied
 * nothing because it would have had to ask. Null when it shows no such thing.
 */
export function drizzlePushRefusal(lines: readonly string[]): DrizzlePushRefusal | null {
  const plain = lines.map(withoutEscapes);
  const ended = plain.filter((line) => NOT_APPLIED.test(line));
  if (ended.length === 0) return null;
  const dataLoss = plain.filter((line) => DATA_LOSS.test(line));
  return dataLoss.length > 0
    ? { kind: "data-loss", evidence: dataLoss }
    : { kind: "prompt", evidence: ended.slice(0, 1) };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what it removes
const ESCAPES = /\u001b\[[0-9;?]*[A-Za-z]/g;

function withoutEscapes(line: string): string {
  return line.replace(ESCAPES, "").replace(/\r$/, "").trimEnd();
}
