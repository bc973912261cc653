import type { Classification, Hit, Observations, StepExit } from "./classification.js";
import { failureCodeEntry } from "./codes.js";
import { decide, type Verdict } from "./decide.js";
import { evidenceText, lineText } from "./line-text.js";
import { matchLine } from "./match-line.js";
import { MIGRATION_ACTIVITY, MIGRATION_DONE } from "./rules/migration-activity.js";
import { STEP_FAILED } from "./rules/rule.js";
import { STEP_FAILURE_CODES } from "./rules/step-failure-codes.js";
import type { FailureStep } from "./step-names.js";

export type { Classification, EvidenceLine, StepExit } from "./classification.js";

// What is kept of a log, whatever its length: the latest hits and signs, and the last lines.
const KEPT_HITS = 256;
const KEPT_MIGRATION_SIGNS = 16;
const NOT_BLANK = /\S/;

export type Classifier = {
  /** One line of the step's output (a trailing newline is ignored). */
  push(line: string): void;
  /** The verdict, once the process has ended. */
  finish(exit: StepExit): Classification;
};

/**
 * An incremental classifier for one step's log: push each line as it comes, then finish with
 * how the process ended. Memory stays bounded for logs of any length.
 */
export function createClassifier(step: FailureStep): Classifier {
  const hits: Hit[] = [];
  const migration: Observations["migration"][number][] = [];
  let lineNumber = 0;
  let lastLineNumber = 0;
  let lastLineText = "";

  return {
    push(raw) {
      lineNumber++;
      const text = lineText(raw);
      if (!NOT_BLANK.test(text)) return;
      lastLineNumber = lineNumber;
      lastLineText = text;
      if (MIGRATION_ACTIVITY.test(text)) {
        const done = MIGRATION_DONE.test(text);
        keep(migration, { line: lineNumber, text: evidenceText(text), done }, KEPT_MIGRATION_SIGNS);
      }
      const rule = matchLine(text, step);
      if (!rule) return;
      const code = rule.code === STEP_FAILED ? STEP_FAILURE_CODES[step] : rule.code;
      keep(hits, { line: lineNumber, text: evidenceText(text), rule, code }, KEPT_HITS);
    },
    finish(exit) {
      const lastLines =
        lastLineNumber > 0 ? [{ line: lastLineNumber, text: evidenceText(lastLineText) }] : [];
      return describe(decide({ hits, migration, lastLines }, step, exit));
    },
  };
}

/**
 * Classifies a whole log: a string, or its lines, sync or async (a readline interface, or
 * logLines() over a stream); an element holding several lines is split.
 */
export async function classifyLog(input: {
  step: FailureStep;
  exitCode: number | null;
  signal?: string | null;
  timedOut?: boolean;
  log: string | Iterable<string> | AsyncIterable<string>;
}): Promise<Classification> {
  const classifier = createClassifier(input.step);
  const pushLines = (text: string) => forEachLine(text, classifier.push);
  const { log } = input;
  // A text's final newline ends its last line; it does not start another.
  if (typeof log === "string") pushLines(log.endsWith("\n") ? log.slice(0, -1) : log);
  else if (Symbol.asyncIterator in log) for await (const lines of log) pushLines(lines);
  else for (const lines of log) pushLines(lines);
  return classifier.finish({
    exitCode: input.exitCode,
    signal: input.signal ?? null,
    timedOut: input.timedOut ?? false,
  });
}

/** The verdict in the catalogue's words. */
function describe(verdict: Verdict): Classification {
  const entry = failureCodeEntry(verdict.code);
  const variantHint = verdict.variant ? entry.variants?.[verdict.variant] : undefined;
  return {
    code: verdict.code,
    title: entry.title,
    hint: variantHint ?? entry.hint,
    retryable: entry.retryable,
    evidence: verdict.evidence,
    ...(verdict.variant && { variant: verdict.variant }),
    ...(entry.docs && { docs: entry.docs }),
    ...(verdict.runnerUp && { runnerUp: verdict.runnerUp }),
  };
}

/** Each "\n"-separated part of the text, in order: "a\n\nb" is three lines, "" is one. */
function forEachLine(text: string, push: (line: string) => void): void {
  let start = 0;
  for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
    push(text.slice(start, end));
    start = end + 1;
  }
  push(text.slice(start));
}

function keep<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.shift();
}
