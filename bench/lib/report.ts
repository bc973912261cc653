import type { Summary } from "./stats.js";

export type Unit = "ms" | "s" | "MB" | "MB/s" | "count" | "%";

export type Measured = { summary: Summary; unit: Unit };

/** A target, judged on the median; `met` is false for a miss. */
export type Target = { text: string; met: boolean };

/** One line of the results table. */
export type Row = {
  item: number;
  measure: string;
  worker: Measured;
  baseline?: Measured;
  /** Worker ÷ baseline per run, paired (for a throughput: worker's share of the baseline's). */
  ratio?: Summary;
  target?: Target;
  note?: string;
};

export const atMost = (limit: number, value: number, unit = ""): Target => ({
  text: `≤ ${limit}${unit}`,
  met: value <= limit,
});

export const below = (limit: number, value: number, unit = ""): Target => ({
  text: `< ${limit}${unit}`,
  met: value < limit,
});

export const atLeast = (limit: number, value: number, unit = ""): Target => ({
  text: `≥ ${limit}${unit}`,
  met: value >= limit,
});

export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case "count":
      return Number.isInteger(value) ? String(value) : value.toFixed(2);
    case "s":
      return `${value.toFixed(2)} s`;
    case "ms":
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ms`;
    case "MB":
      return `${value.toFixed(0)} MB`;
    case "MB/s":
      return `${value.toFixed(1)} MB/s`;
    case "%":
      return `${value.toFixed(1)} %`;
  }
}

function cell(measured: Measured | undefined): string {
  if (!measured) return "—";
  const { summary, unit } = measured;
  const median = formatValue(summary.median, unit);
  if (summary.n === 1 || summary.min === summary.max) return median;
  return `${median} (${formatValue(summary.min, unit)}–${formatValue(summary.max, unit)})`;
}

function ratioCell(ratio: Summary | undefined): string {
  if (!ratio) return "—";
  const median = `${ratio.median.toFixed(2)}×`;
  if (ratio.n === 1 || ratio.min === ratio.max) return median;
  return `${median} (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`;
}

/** The results as a Markdown table: medians with min–max, targets, misses in bold. */
export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    "| # | measure | worker | baseline | ratio | target | met |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const met = row.target ? (row.target.met ? "yes" : "**MISSED**") : "—";
    lines.push(
      `| ${row.item} | ${row.measure} | ${cell(row.worker)} | ${cell(row.baseline)} | ${ratioCell(row.ratio)} | ${row.target?.text ?? "—"} | ${met} |`,
    );
  }
  const notes = rows.filter((row) => row.note).map((row) => `- ${row.item}: ${row.note}`);
  return notes.length ? `${lines.join("\n")}\n\n${notes.join("\n")}` : lines.join("\n");
}
