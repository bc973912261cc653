/**
 * The project's own failure corpus: cases captured here with the real tools (capture.ts), one
 * JSON-lines file per group of stacks under test/fixtures/failure-corpus/captured/, read with
 * each log as it would arrive (arrival.ts) and each case's split.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FailureCode } from "../../src/failures/codes.js";
import { STACKS as DATABASE_STACKS } from "../../src/failures/rules/stacks.js";
import type { FailureStep } from "../../src/pipeline/step-names.js";
import { asArrived } from "./arrival.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CAPTURED_DIR = path.join(ROOT, "test/fixtures/failure-corpus/captured");

/** The tools and libraries whose failures the corpus holds (the README's rows). */
export const CORPUS_STACKS = [
  "npm",
  "pnpm",
  "yarn",
  "bun",
  "tsc",
  "next",
  "vite",
  "esbuild",
  ...DATABASE_STACKS,
  "node",
] as const;
export type CorpusStack = (typeof CORPUS_STACKS)[number];

export type CorpusSplit = "tune" | "heldout";

export type CapturedCorpusCase = {
  id: string;
  stack: string;
  step: FailureStep;
  exitCode: number | null;
  expected: FailureCode;
  origin: string;
  split: CorpusSplit;
  /** The log as it arrives (timestamps, shippers, colour, noise): what is classified. */
  log: string;
  /** The log as captured. */
  captured: string;
};

/**
 * A case's split, fixed by its id alone: a third of the cases are held out. Rules are never
 * tuned on them: the report prints only the tune split's misses, and the held-out split's
 * accuracy as a number.
 */
export function splitOf(id: string): CorpusSplit {
  return createHash("sha256").update(`split:${id}`).digest()[0]! % 3 === 0 ? "heldout" : "tune";
}

/** Every captured case, in file and line order. */
export function readCaptured(dir = CAPTURED_DIR): CapturedCorpusCase[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".jsonl"))
    .sort()
    .flatMap((name) =>
      readFileSync(path.join(dir, name), "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as Omit<CapturedCorpusCase, "split" | "captured">),
    )
    .map((c) => ({ ...c, captured: c.log, log: asArrived(c.id, c.log), split: splitOf(c.id) }));
}
