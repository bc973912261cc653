import { atLeast, atMost, below, markdownTable, type Row } from "../../bench/lib/report.js";
import { summarize } from "../../bench/lib/stats.js";

describe("the bench's report", () => {
  it("meets a target at its limit only where the limit allows it", () => {
    expect(atMost(1.2, 1.2)).toEqual({ text: "≤ 1.2", met: true });
    expect(atMost(1.2, 1.21).met).toBe(false);
    expect(atLeast(0.5, 0.5, "×")).toEqual({ text: "≥ 0.5×", met: true });
    expect(atLeast(0.5, 0.49, "×").met).toBe(false);
    expect(below(150, 150, " MB")).toEqual({ text: "< 150 MB", met: false });
  });

  it("prints medians with their range, the ratio, and a missed target in bold", () => {
    const rows: Row[] = [
      {
        item: 5,
        measure: "a step",
        worker: { summary: summarize([1.5, 1.2, 1.3]), unit: "s" },
        baseline: { summary: summarize([1, 1, 1]), unit: "s" },
        ratio: summarize([1.5, 1.2, 1.3]),
        target: atMost(1.2, 1.3),
        note: "ran alone",
      },
      { item: 6, measure: "round trips", worker: { summary: summarize([1]), unit: "count" } },
    ];
    expect(markdownTable(rows).split("\n")).toEqual([
      "| # | measure | worker | baseline | ratio | target | met |",
      "|---|---|---|---|---|---|---|",
      "| 5 | a step | 1.30 s (1.20 s–1.50 s) | 1.00 s | 1.30× (1.20–1.50) | ≤ 1.2 | **MISSED** |",
      "| 6 | round trips | 1 | — | — | — | — |",
      "",
      "- 5: ran alone",
    ]);
  });
});
