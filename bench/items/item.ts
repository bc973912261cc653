import type { Row } from "../lib/report.js";

export type ItemContext = {
  smoke: boolean;
  /** How many times to run each side (the item's own count, or --runs). */
  runs: number;
  /** A line of progress on stderr. */
  progress(line: string): void;
};

/** One benchmark: the worker side by side with a bare baseline doing the same work. */
export type BenchItem = {
  id: number;
  title: string;
  runs: { full: number; smoke: number };
  run(ctx: ItemContext): Promise<Row[]>;
};
