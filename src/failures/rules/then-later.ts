/**
 * A pattern source for `before`, then later in the line `after`: what `before.*after` says,
 * read from the first `before` on. The tempered loop stops where `before` first begins and
 * cannot be re-entered, so a line holding many a `before` and no `after` is read once, where
 * `before.*after` would read the rest of the line again from each (scan/backtracking-hazards.ts).
 * The search starts afresh after each line terminator, which `.` does not cross either.
 * `before` must not be able to match an empty string.
 */
export function thenLater(before: string, after: string): string {
  return `(?:^|[\\n\\r\\u2028\\u2029])(?:(?!${before}).)*${before}.*${after}`;
}
