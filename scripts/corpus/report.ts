/**
 * The captured corpus's accuracy report: per split and per stack, the classifier beside the
 * naive first-match baseline, as the Markdown table the README carries.
 *
 * usage: tsx scripts/corpus/report.ts [--misses]
 *   --misses  also prints the tune split's misses (the held-out split's are never printed)
 */
import { classifyLog } from "../../src/failures/classify.js";
import { type Accuracy, measureAccuracy, percent, type Tally } from "./accuracy.js";
import { readCaptured } from "./corpus.js";
import { naiveClassify } from "./naive-baseline.js";

const cases = readCaptured();
const worker = await measureAccuracy(cases, async (c) => (await classifyLog(c)).code);
const naive = await measureAccuracy(cases, (c) => naiveClassify(c.log));

const cell = (tally: Tally) =>
  `${percent(tally)} (${tally.exact}/${tally.cases}, ${tally.wrong} wrong)`;
const rows = (a: Accuracy, b: Accuracy) => [
  "| cases | split | classifier | naive first match |",
  "|---|---|---|---|",
  ...(["tune", "heldout"] as const).map(
    (split) => `| all | ${split} | ${cell(a.bySplit[split])} | ${cell(b.bySplit[split])} |`,
  ),
  ...Object.keys(a.byStack)
    .sort()
    .flatMap((stack) =>
      (["tune", "heldout"] as const)
        .filter((split) => a.byStack[stack]![split].cases > 0)
        .map(
          (split) =>
            `| ${stack} | ${split} | ${cell(a.byStack[stack]![split])} | ${cell(b.byStack[stack]![split])} |`,
        ),
    ),
];
process.stdout.write(`${cases.length} captured cases\n\n${rows(worker, naive).join("\n")}\n`);
if (process.argv.includes("--misses")) {
  process.stdout.write("\ntune-split misses:\n");
  for (const miss of worker.tuneMisses)
    process.stdout.write(
      `  ${miss.case.id} [${miss.case.stack}/${miss.case.step}]: expected ${miss.case.expected}, got ${miss.got}\n`,
    );
}
