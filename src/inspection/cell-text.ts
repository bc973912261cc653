/** A row's value as one cell shows it: ∅ for null, JSON for non-strings, cut to `max` characters. */
export function cellText(value: unknown, max: number): string {
  const text =
    value === null || value === undefined
      ? "∅"
      : typeof value === "string"
        ? value
        : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
