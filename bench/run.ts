/**
 * The side-by-side benchmarks (issue 9): each item runs the worker's way and a bare baseline
 * doing the same work in the same run, and reports medians, min–max and their ratio.
 * Prints a Markdown table on stdout and writes the JSON beside it. Exits 0 whether or not a
 * target is met (misses are marked); non-zero only when a benchmark could not run.
 *
 * usage: tsx bench/run.ts [--only 1,3] [--smoke] [--runs N] [--no-build]
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { ITEMS } from "./items/index.js";
import { describeMachine, describeMachineMarkdown } from "./lib/machine.js";
import { parseOptions } from "./lib/options.js";
import { BENCH_DIR } from "./lib/processes.js";
import { markdownTable, type Row } from "./lib/report.js";
import { createTemplateDatabase } from "./lib/template-database.js";

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const unknown = [...(options.only ?? [])].filter((id) => !ITEMS.some((item) => item.id === id));
  if (unknown.length > 0) {
    process.stderr.write(
      `--only: no item ${unknown.join(", ")}; the items are ${ITEMS.map((item) => item.id).join(", ")}\n`,
    );
    return 2;
  }
  if (options.build) {
    progress("npm run build (the children and db:migrate run dist/)");
    // tsc emits even when it reports type errors (someone mid-edit): warn, and measure what built.
    const build = await execa("npm", ["run", "--silent", "build"], {
      stdio: "inherit",
      reject: false,
    });
    if (build.exitCode !== 0) progress("npm run build reported errors; measuring what it emitted");
  }
  const template = await createTemplateDatabase();
  const machine = await describeMachine(process.env.TEST_POSTGRES_URL!);
  const rows: Row[] = [];
  const broken: string[] = [];
  try {
    const chosen = ITEMS.filter((item) => !options.only || options.only.has(item.id));
    for (const item of chosen) {
      const runs = options.runs ?? (options.smoke ? item.runs.smoke : item.runs.full);
      progress(`${item.id}. ${item.title} (${runs} run${runs === 1 ? "" : "s"} each side)`);
      const started = performance.now();
      try {
        rows.push(
          ...(await item.run({
            smoke: options.smoke,
            runs,
            progress: (line) => progress(`  ${item.id}: ${line}`),
          })),
        );
      } catch (error) {
        broken.push(`${item.id}. ${item.title}: ${(error as Error).stack ?? error}`);
        progress(`${item.id} could not run: ${(error as Error).message}`);
      }
      progress(`${item.id} took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    await template.drop();
  }

  const complete = !options.smoke && !options.only && broken.length === 0;
  const jsonFile = complete
    ? path.join(BENCH_DIR, "RESULTS.json")
    : // Named by what ran, so runs of different items at once keep their own results.
      path.join(
        os.tmpdir(),
        `coduck-bench-${options.smoke ? "smoke" : "partial"}-${[...(options.only ?? ["all"])].join("-")}.json`,
      );
  await writeFile(
    jsonFile,
    `${JSON.stringify({ machine, smoke: options.smoke, runs: options.runs, rows, broken }, null, 2)}\n`,
  );
  process.stdout.write(
    `${describeMachineMarkdown(machine)}\n\n${markdownTable(rows)}\n\n(JSON: ${jsonFile})\n`,
  );
  for (const problem of broken) process.stderr.write(`\nbench: broken: ${problem}\n`);
  return broken.length === 0 ? 0 : 1;
}

process.exitCode = await main();
