/**
 * Accuracy on the captured corpus, per split and per stack: what the README and bench item 8
 * report. A wrong code and an UNKNOWN are counted apart (a wrong code costs more).
 */
import type { FailureCode } from "../../src/failures/codes.js";
import type { CapturedCorpusCase, CorpusSplit } from "./corpus.js";

export type Tally = { cases: number; exact: number; unknown: number; wrong: number };

export type Accuracy = {
  bySplit: Record<CorpusSplit, Tally>;
  byStack: Record<string, Record<CorpusSplit, Tally>>;
  /** The tune split's misses (never the held-out split's). */
  tuneMisses: { case: CapturedCorpusCase; got: FailureCode }[];
};

const empty = (): Tally => ({ cases: 0, exact: 0, unknown: 0, wrong: 0 });

export async function measureAccuracy(
  cases: readonly CapturedCorpusCase[],
  classify: (c: CapturedCorpusCase) => Promise<FailureCode> | FailureCode,
): Promise<Accuracy> {
  const accuracy: Accuracy = {
    bySplit: { tune: empty(), heldout: empty() },
    byStack: {},
    tuneMisses: [],
  };
  for (const c of cases) {
    const got = await classify(c);
    accuracy.byStack[c.stack] ??= { tune: empty(), heldout: empty() };
    const stack = accuracy.byStack[c.stack]!;
    for (const tally of [accuracy.bySplit[c.split], stack[c.split]]) {
      tally.cases++;
      if (got === c.expected) tally.exact++;
      else if (got === "UNKNOWN") tally.unknown++;
      else tally.wrong++;
    }
    if (got !== c.expected && c.split === "tune") accuracy.tuneMisses.push({ case: c, got });
  }
  return accuracy;
}

export const percent = (tally: Tally): string =>
  tally.cases === 0 ? "—" : `${((100 * tally.exact) / tally.cases).toFixed(1)} %`;

const cell = (tally: Tally) =>
  tally.cases === 0
    ? "—"
    : `${percent(tally)} (${tally.exact}/${tally.cases}, ${tally.wrong} wrong)`;

/**
 * The Markdown table the README carries: each split, then each stack's splits, the classifier
 * beside the baseline.
 */
export function accuracyTable(worker: Accuracy, baseline: Accuracy): string {
  const splits = ["tune", "heldout"] as const;
  const stacks = Object.keys(worker.byStack).sort();
  return [
    "| stack | split | classifier: exact (n, wrong codes) | naive first match |",
    "|---|---|---|---|",
    ...splits.map(
      (split) =>
        `| **all** | ${split} | ${cell(worker.bySplit[split])} | ${cell(baseline.bySplit[split])} |`,
    ),
    ...stacks.flatMap((stack) =>
      splits
        .filter((split) => worker.byStack[stack]![split].cases > 0)
        .map(
          (split) =>
            `| ${stack} | ${split} | ${cell(worker.byStack[stack]![split])} | ${cell(baseline.byStack[stack]![split])} |`,
        ),
    ),
  ].join("\n");
}
