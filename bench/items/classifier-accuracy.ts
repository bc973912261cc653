import { measureAccuracy, type Tally } from "../../scripts/corpus/accuracy.js";
import { readCaptured } from "../../scripts/corpus/corpus.js";
import { naiveClassify } from "../../scripts/corpus/naive-baseline.js";
import { classifyLog } from "../../src/failures/classify.js";
import { atLeast } from "../lib/report.js";
import { summarize } from "../lib/stats.js";
import type { BenchItem } from "./item.js";

const share = (part: number, tally: Tally) => (tally.cases === 0 ? 0 : (100 * part) / tally.cases);

/**
 * 8. The failure classifier's accuracy on the held-out split of the captured corpus (issue 22),
 * beside a naive first-match regex classifier on the same logs as they arrive: exact verdicts,
 * and wrong codes (an UNKNOWN is honest; a wrong code sends the user the wrong way). Deterministic:
 * one run is the measure.
 */
export const classifierAccuracy: BenchItem = {
  id: 8,
  title: "diagnosis on logs no rule was tuned on",
  runs: { full: 1, smoke: 1 },
  async run(ctx) {
    const heldout = readCaptured().filter((c) => c.split === "heldout");
    ctx.progress(`${heldout.length} held-out cases`);
    const worker = (await measureAccuracy(heldout, async (c) => (await classifyLog(c)).code))
      .bySplit.heldout;
    const naive = (await measureAccuracy(heldout, (c) => naiveClassify(c.log))).bySplit.heldout;
    const exact = share(worker.exact, worker);
    return [
      {
        item: 8,
        measure: `held-out cases classified exactly (${worker.cases} cases)`,
        worker: { summary: summarize([exact]), unit: "%" },
        baseline: { summary: summarize([share(naive.exact, naive)]), unit: "%" },
        target: atLeast(80, exact, " %"),
      },
      {
        item: 8,
        measure: "held-out cases given a wrong code",
        worker: { summary: summarize([share(worker.wrong, worker)]), unit: "%" },
        baseline: { summary: summarize([share(naive.wrong, naive)]), unit: "%" },
        note: "the rest of the misses are UNKNOWN, with the runner-up and the last error lines as evidence",
      },
    ];
  },
};
