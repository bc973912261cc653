import { parseArgs } from "node:util";

export type BenchOptions = {
  /** Item numbers to run; null runs them all. */
  only: Set<number> | null;
  /** Tiny sizes and one run each: proves the benchmarks still work, measures nothing. */
  smoke: boolean;
  /** Runs per item, overriding each item's own count. */
  runs: number | null;
  /** Whether to run `npm run build` first (the children and `db:migrate` run dist/). */
  build: boolean;
};

export const USAGE = `usage: tsx bench/run.ts [--only 1,3] [--smoke] [--runs N] [--no-build]`;

/** Reads the command line; throws a message naming the bad option. */
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: "string" },
      smoke: { type: "boolean", default: false },
      runs: { type: "string" },
      "no-build": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  let only: Set<number> | null = null;
  if (values.only !== undefined) {
    const numbers = values.only.split(",").map((part) => Number(part.trim()));
    if (numbers.some((n) => !Number.isInteger(n) || n < 1))
      throw new Error(`--only: expected item numbers such as 1,3 (got ${values.only})`);
    only = new Set(numbers);
  }
  let runs: number | null = null;
  if (values.runs !== undefined) {
    runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1)
      throw new Error(`--runs: expected a whole number ≥ 1 (got ${values.runs})`);
  }
  return { only, smoke: values.smoke, runs, build: !values["no-build"] };
}
