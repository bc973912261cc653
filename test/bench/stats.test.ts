import { pairedRatios, percentile, summarize } from "../../bench/lib/stats.js";

describe("the bench's statistics", () => {
  it("summarizes by the median, whatever the order the runs came in", () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([10, 1, 4, 2])).toEqual({ median: 3, min: 1, max: 10, n: 4 });
    expect(() => summarize([])).toThrow("summarize: no values");
  });

  it("takes a percentile by nearest rank: a value that was measured", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7, 3], 99)).toBe(7);
    expect(percentile([7, 3], 0)).toBe(3);
  });

  it("pairs each worker run with the baseline run beside it", () => {
    expect(pairedRatios([2, 9, 4], [1, 3, 8])).toEqual([2, 3, 0.5]);
  });
});
