import { UsageError } from "../errors.js";

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since 30m` (s, m, h or d) as the moment that long ago. */
export function sinceDuration(raw: string, now = Date.now()): Date {
  const match = /^([1-9]\d{0,5})([smhd])$/.exec(raw);
  if (!match) {
    throw new UsageError(
      `--since: expected a duration such as 30m, 1h or 2d (a number and s, m, h or d), not ${JSON.stringify(raw)}`,
    );
  }
  return new Date(now - Number(match[1]) * UNITS[match[2]!]!);
}
