import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { asArrived } from "../../scripts/corpus/arrival.js";
import type { FailureCode } from "../../src/failures/codes.js";
import type { FailureStep } from "../../src/pipeline/step-names.js";

/** One captured failure log and the code it should get. */
export type CorpusCase = {
  id: string;
  step: FailureStep;
  exitCode: number | null;
  log: string;
  expected: FailureCode;
};

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The project's copy of the failure corpus (for CI). */
export const CORPUS_FILE = path.join(HERE, "../fixtures/failure-corpus/dev.jsonl");

/**
 * The shared corpus the project's copy is drawn from, where a machine has it: FAILURE_CORPUS_FILE,
 * or shared/failure-corpus/dev.jsonl beside the checkout.
 */
export const SHARED_CORPUS_FILE =
  process.env.FAILURE_CORPUS_FILE ?? path.resolve(HERE, "../../../shared/failure-corpus/dev.jsonl");

/** The cases of a corpus file (JSON lines), the project's copy unless told. */
export function readCorpus(file = CORPUS_FILE): CorpusCase[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as CorpusCase);
}

/** The project's own captured corpus: one JSON-lines file per group of stacks. */
export const CAPTURED_DIR = path.join(HERE, "../fixtures/failure-corpus/captured");

export type CapturedCorpusCase = CorpusCase & {
  stack: string;
  origin: string;
  split: CorpusSplit;
  /** The log as captured (`log` is the log as it arrives: asArrived). */
  captured: string;
};

export type CorpusSplit = "tune" | "heldout";

/**
 * A case's split, fixed by its id alone: a third of the cases are held out, and rules are never
 * tuned on them (their misses are only counted, never printed, by the tests and the report).
 */
export function splitOf(id: string): CorpusSplit {
  return createHash("sha256").update(`split:${id}`).digest()[0]! % 3 === 0 ? "heldout" : "tune";
}

/** Every captured case, its log as it would arrive (timestamps, shippers, colour, noise). */
export function readCaptured(dir = CAPTURED_DIR): CapturedCorpusCase[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".jsonl"))
    .sort()
    .flatMap(
      (name) =>
        readCorpus(path.join(dir, name)) as (CorpusCase & { stack: string; origin: string })[],
    )
    .map((c) => ({ ...c, captured: c.log, log: asArrived(c.id, c.log), split: splitOf(c.id) }));
}
