/**
 * The captured corpus's accuracy report: per split and per stack, the classifier beside the
 * naive first-match baseline, as the Markdown table the README carries.
 *
 * usage: tsx scripts/corpus/report.ts [--misses]
 *   --misses  also prints the tune split's misses (the held-out split's are never printed)
 */
import { classifyLog } from "../../src/failures/classify.js";
import { accuracyTable, measureAccuracy } from "./accuracy.js";
import { readCaptured } from "./corpus.js";
import { naiveClassify } from "./naive-baseline.js";

const cases = readCaptured();
const worker = await measureAccuracy(cases, async (c) => (await classifyLog(c)).code);
const naive = await measureAccuracy(cases, (c) => naiveClassify(c.log));

process.stdout.write(`${cases.length} captured cases\n\n${accuracyTable(worker, naive)}\n`);
if (process.argv.includes("--misses")) {
  process.stdout.write("\ntune-split misses:\n");
  for (const miss of worker.tuneMisses)
    process.stdout.write(
      `  ${miss.case.id} [${miss.case.stack}/${miss.case.step}]: expected ${miss.case.expected}, got ${miss.got}\n`,
    );
}
