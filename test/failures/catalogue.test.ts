import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  degradesLiveRelease,
  FAILURE_CODES,
  type FailureCode,
  failureCodeEntry,
  onlyNamesStep,
  STEP_FAILURE_CODES,
} from "../../src/failures/codes.js";
import { RULES } from "../../src/failures/rules/index.js";
import { STEP_FAILED } from "../../src/failures/rules/rule.js";
import { STACKS } from "../../src/failures/rules/stacks.js";
import { deriveRuleLiterals } from "../../src/failures/scan/rule-literals.js";
import { FAILURE_STEPS } from "../../src/pipeline/step-names.js";
import { readCorpus } from "../helpers/failure-corpus.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "../..");
const corpusDir = path.join(root, "test/fixtures/failure-corpus");
const codes = Object.keys(FAILURE_CODES) as FailureCode[];

/** The first column of a markdown table under `heading`. */
function tableCodes(markdown: string, heading: string): string[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(heading)) ?? "";
  return [...section.matchAll(/^\| `?([A-Z][A-Z_]+)`? \|/gm)].map((m) => m[1]!);
}

describe("the failure-code catalogue", () => {
  it("is documented in docs/apps/failure-codes.md's table, code for code", () => {
    const page = readFileSync(path.join(root, "docs/apps/failure-codes.md"), "utf8");
    expect(tableCodes(page, "Failure codes").sort()).toEqual([...codes].sort());
  });

  it("has every label of the corpus, and each label has a corpus case", () => {
    const labels = tableCodes(readFileSync(path.join(corpusDir, "README.md"), "utf8"), "Label set");
    expect(labels.length).toBeGreaterThan(15);
    expect(codes).toEqual(expect.arrayContaining(labels));
    const cases = readCorpus();
    const labelled = new Set<string>(cases.map((c) => c.expected));
    expect(labels.filter((label) => !labelled.has(label))).toEqual([]);
  });

  it("links its documented failures to the platform docs", () => {
    const documented = codes.filter((code) => failureCodeEntry(code).docs);
    expect(documented.length).toBeGreaterThan(0);
    for (const code of documented)
      expect([code, failureCodeEntry(code).docs]).toEqual([
        code,
        expect.stringMatching(/^https:\/\/docs\.coduck\.ai\//),
      ]);
  });

  it("degrades a live release only for failures the app can log at runtime, each in the docs", () => {
    const degrading = codes.filter(degradesLiveRelease);
    expect(degrading.length).toBeGreaterThan(0);
    for (const code of degrading) {
      const entry = failureCodeEntry(code);
      expect([code, entry.steps.includes("runtime"), entry.docs]).toEqual([
        code,
        true,
        expect.stringContaining("#common-failures"),
      ]);
    }
  });

  it("has one fallback code per step, a code that step can report and no retry can be known to fix", () => {
    for (const step of FAILURE_STEPS) {
      const code = STEP_FAILURE_CODES[step];
      expect([step, code, onlyNamesStep(code)]).toEqual([step, code, true]);
      expect([step, code, failureCodeEntry(code).steps]).toEqual([
        step,
        code,
        expect.arrayContaining([step]),
      ]);
      expect([code, failureCodeEntry(code).retryable]).toEqual([code, false]);
    }
    const fallbacks = new Set(Object.values(STEP_FAILURE_CODES));
    expect(codes.filter(onlyNamesStep).sort()).toEqual([...fallbacks].sort());
  });

  it("gives the documented fixes", () => {
    expect(FAILURE_CODES.DESTRUCTIVE_CHANGE_BLOCKED.hint).toMatch(
      /"preStart": "prisma migrate deploy"/,
    );
    expect(FAILURE_CODES.POOL_EXHAUSTED.hint).toMatch(/10 or less/);
    expect(FAILURE_CODES.BOUNCER_CONFIG_ERROR.hint).toMatch(/restores the lookup function/);
    expect(FAILURE_CODES.BOUNCER_CONFIG_ERROR.hint).toMatch(/DROP SCHEMA public CASCADE/);
  });

  it("tells the user when a failure is retried: a retryable code's hint says so, no other's does", () => {
    const SAYS_RETRIED = /\bis retried\b|\bruns again\b/;
    for (const code of codes) {
      const entry = failureCodeEntry(code);
      const texts = [entry.hint, ...Object.values(entry.variants ?? {})];
      const saysRetried = texts.some((text) => SAYS_RETRIED.test(text));
      expect([code, entry.retryable]).toEqual([code, saysRetried]);
    }
  });

  it("names only catalogue codes and variants in its rules", () => {
    for (const rule of RULES) {
      if (rule.code !== STEP_FAILED) expect(codes).toContain(rule.code);
      if (rule.inMigration) expect(codes).toContain(rule.inMigration);
      for (const step of rule.steps ?? []) expect(STEP_FAILURE_CODES).toHaveProperty(step);
    }
    for (const code of codes) {
      for (const variant of Object.keys(failureCodeEntry(code).variants ?? {})) {
        // A stack's variant is named by the stack signs (rules/stacks.ts).
        if ((STACKS as readonly string[]).includes(variant)) continue;
        const named = RULES.some(
          (rule) =>
            rule.variant === variant &&
            (rule.code === code ||
              (rule.code === STEP_FAILED && Object.values(STEP_FAILURE_CODES).includes(code))),
        );
        expect([code, variant, named]).toEqual([code, variant, true]);
      }
    }
  });

  it("keeps its rules readable for their literals (no backreferences, named groups, g y u v flags)", () => {
    for (const rule of RULES) {
      expect(rule.pattern.source).not.toMatch(/\\[1-9]|\(\?<[a-zA-Z]|\\k</);
      expect(rule.pattern.flags).not.toMatch(/[gyuv]/);
    }
  });

  it("gives every rule alternative a literal the classifier can look for", () => {
    const { alternatives } = deriveRuleLiterals(RULES);
    expect(alternatives.filter((a) => a.owner >= 0).length).toBeGreaterThanOrEqual(RULES.length);
  });

  it("has the corpus fixture next to the tests", () => {
    expect(existsSync(path.join(corpusDir, "dev.jsonl"))).toBe(true);
  });
});
