import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
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

export {
  CAPTURED_DIR,
  type CapturedCorpusCase,
  readCaptured,
  splitOf,
} from "../../scripts/corpus/corpus.js";
