import { forEachLine } from "../exec/output-lines.js";
import type { FailureStep } from "../pipeline/step-names.js";
import type { Classification, Hit, Observations, StepExit } from "./classification.js";
import { failureCodeEntry, STEP_FAILURE_CODES } from "./codes.js";
import { decide, type Verdict } from "./decide.js";
import { ERROR_STATEMENT } from "./rules/error-statement.js";
import { STEP_FAILED } from "./rules/rule.js";
import { evidenceText, lineText } from "./scan/line-text.js";
import { literalsIn } from "./scan/literal-automaton.js";
import { createLogScanner, type LogScanner, type RedactText } from "./scan/log-scanner.js";
import { migrationSign, RULE_LITERALS, ruleFor, stackSign } from "./scan/match-line.js";

export type { Classification, EvidenceLine, StepExit } from "./classification.js";

// What is kept of a log, whatever its length: the latest hits and signs, and the last lines.
const KEPT_HITS = 256;
const KEPT_MIGRATION_SIGNS = 16;
const KEPT_STACK_SIGNS = 64;
const NOT_BLANK = /\S/;

export type Classifier = {
  /** One line of the step's output (a trailing newline is ignored). */
  push(line: string): void;
  /**
   * The step's output as bytes, split anywhere (inside a line or a UTF-8 character): the
   * fast way to classify a long log. A log is given either as lines or as bytes, not both.
   */
  write(chunk: Uint8Array): void;
  /** The verdict, once the process has ended. */
  finish(exit: StepExit): Classification;
};

export type ClassifierOptions = {
  /** Applied to each line's text before it is read: what the verdict quotes is its result. */
  redact?: RedactText;
};

/**
 * An incremental classifier for one step's log: push each line (or write the bytes) as it
 * comes, then finish with how the process ended. Memory stays bounded for logs of any length.
 */
export function createClassifier(step: FailureStep, options: ClassifierOptions = {}): Classifier {
  const { redact } = options;
  const hits: Hit[] = [];
  const migration: Observations["migration"][number][] = [];
  const stacks: Observations["stacks"][number][] = [];
  let lineNumber = 0;
  let lastLine: { line: number; text: string } | undefined;
  let scanner: LogScanner | undefined;

  // A line that holds one of the rules' literals (its text is lineText's).
  const observe = (line: number, text: string, literals: readonly number[]) => {
    const sign = migrationSign(text, literals);
    if (sign)
      keep(migration, { line, text: evidenceText(text), done: sign.done }, KEPT_MIGRATION_SIGNS);
    const stack = stackSign(text, literals);
    if (stack) keep(stacks, { line, stack }, KEPT_STACK_SIGNS);
    const rule = ruleFor(text, literals, step);
    if (!rule) return;
    const code = rule.code === STEP_FAILED ? STEP_FAILURE_CODES[step] : rule.code;
    const raised = ERROR_STATEMENT.test(text.trimStart()) || rule.crash === true;
    keep(hits, { line, text: evidenceText(text), rule, code, raised }, KEPT_HITS);
  };

  return {
    push(raw) {
      if (scanner) throw new Error("this classifier reads bytes: write() them, not lines");
      lineNumber++;
      const text = lineText(redact ? redact(raw, false) : raw);
      if (!NOT_BLANK.test(text)) return;
      lastLine = { line: lineNumber, text };
      const literals = literalsIn(RULE_LITERALS.automaton, text);
      if (literals.length > 0) observe(lineNumber, text, literals);
    },
    write(chunk) {
      if (lineNumber > 0) throw new Error("this classifier reads lines: push() them, not bytes");
      scanner ??= createLogScanner(RULE_LITERALS.automaton, observe, redact);
      scanner.write(chunk);
    },
    finish(exit) {
      if (scanner) {
        scanner.end();
        lastLine = scanner.lastLine();
      }
      const lastLines = lastLine
        ? [{ line: lastLine.line, text: evidenceText(lastLine.text) }]
        : [];
      return describe(
        decide(
          {
            hits: latest(hits, KEPT_HITS),
            migration: latest(migration, KEPT_MIGRATION_SIGNS),
            stacks: latest(stacks, KEPT_STACK_SIGNS),
            lastLines,
          },
          step,
          exit,
        ),
      );
    },
  };
}

type ClassifyInput = {
  step: FailureStep;
  exitCode: number | null;
  signal?: string | null;
  timedOut?: boolean;
};

/**
 * Classifies a whole log: a string, or its lines, sync or async (a readline interface, say);
 * an element holding several lines is split.
 */
export async function classifyLog(
  input: ClassifyInput & { log: string | Iterable<string> | AsyncIterable<string> },
): Promise<Classification> {
  const classifier = createClassifier(input.step);
  const pushLines = (text: string) => forEachLine(text, classifier.push);
  const { log } = input;
  // A text's final newline ends its last line; it does not start another.
  if (typeof log === "string") pushLines(log.endsWith("\n") ? log.slice(0, -1) : log);
  else if (Symbol.asyncIterator in log) for await (const lines of log) pushLines(lines);
  else for (const lines of log) pushLines(lines);
  return classifier.finish(exitOf(input));
}

/**
 * Classifies a log read from a byte stream (a file, stdin, a pipe; fileChunks): its chunks
 * are pieces of the log cut anywhere, decoded as UTF-8 with invalid bytes replaced (a string
 * chunk is taken as its UTF-8 bytes). Each chunk is done with before the next is asked for,
 * so a reader may reuse its buffer.
 */
export async function classifyLogStream(
  input: ClassifyInput & {
    stream: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  },
  options?: ClassifierOptions,
): Promise<Classification> {
  const classifier = createClassifier(input.step, options);
  for await (const chunk of input.stream) {
    classifier.write(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
  }
  return classifier.finish(exitOf(input));
}

function exitOf(input: ClassifyInput): StepExit {
  return {
    exitCode: input.exitCode,
    signal: input.signal ?? null,
    timedOut: input.timedOut ?? false,
  };
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

/** Adds an item, dropping the oldest ones in batches (a shift per item would copy the list). */
function keep<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length >= 2 * max) list.splice(0, list.length - max);
}

function latest<T>(list: readonly T[], max: number): readonly T[] {
  return list.length > max ? list.slice(-max) : list;
}
