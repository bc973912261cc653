import { sinceDuration } from "../../src/cli/since-duration.js";

describe("sinceDuration", () => {
  const now = Date.UTC(2026, 11, 1, 12, 0, 0);

  it("reads seconds, minutes, hours and days back from now", () => {
    expect(sinceDuration("30s", now).toISOString()).toBe("2026-12-01T11:59:30.000Z");
    expect(sinceDuration("45m", now).toISOString()).toBe("2026-12-01T11:15:00.000Z");
    expect(sinceDuration("1h", now).toISOString()).toBe("2026-12-01T11:00:00.000Z");
    expect(sinceDuration("2d", now).toISOString()).toBe("2026-11-29T12:00:00.000Z");
  });

  it.each(["", "1", "h", "0h", "1.5h", "-1h", "1w", "1 h", "1h30m", "9999999h"])(
    "refuses %j with the forms it takes",
    (raw) => {
      expect(() => sinceDuration(raw, now)).toThrow(
        `--since: expected a duration such as 30m, 1h or 2d (a number and s, m, h or d), not ${JSON.stringify(raw)}`,
      );
    },
  );
});
