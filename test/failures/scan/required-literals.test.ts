import { RULES } from "../../../src/failures/rules/index.js";
import { MIGRATION_ACTIVITY } from "../../../src/failures/rules/migration-activity.js";
import { lineText } from "../../../src/failures/scan/line-text.js";
import { alternatives, requiredLiterals } from "../../../src/failures/scan/required-literals.js";
import { deriveRuleLiterals } from "../../../src/failures/scan/rule-literals.js";
import { readCorpus } from "../../helpers/failure-corpus.js";

const literalsOf = (pattern: RegExp) =>
  alternatives(pattern.source).map((source) =>
    requiredLiterals(source, pattern.flags.includes("i")),
  );

describe("requiredLiterals", () => {
  it("splits a pattern into its top-level alternatives only", () => {
    expect(alternatives("a(?:b|c)|[|]d|e\\|f")).toEqual(["a(?:b|c)", "[|]d", "e\\|f"]);
  });

  it("keeps the longest run of literal characters, escapes included", () => {
    expect(literalsOf(/\bEADDRINUSE\b|no pg_hba\.conf entry/)).toEqual([
      ["EADDRINUSE"],
      ["no pg_hba.conf entry"],
    ]);
    expect(literalsOf(/Missing: \S+ from lock file/)).toEqual([[" from lock file"]]);
  });

  it("spells out groups, small classes, optional parts and \\d", () => {
    expect(literalsOf(/^npm (?:error|ERR!) network /)).toEqual([
      ["npm error network ", "npm ERR! network "],
    ]);
    expect(literalsOf(/ERR_PNPM_FETCH_40[134]/)).toEqual([
      ["ERR_PNPM_FETCH_401", "ERR_PNPM_FETCH_403", "ERR_PNPM_FETCH_404"],
    ]);
    expect(literalsOf(/colou?r:/)).toEqual([["color:", "colour:"]]);
    expect(literalsOf(/\bP3\d{3}\b/)).toEqual([
      ["P30", "P31", "P32", "P33", "P34", "P35", "P36", "P37", "P38", "P39"],
    ]);
  });

  it("stops a literal where what follows is not always the same", () => {
    // `Error` then either `:` or ` [` and something unknown.
    expect(literalsOf(/[A-Z]\w*(?:Error|Exception)(?: \[[\w-]+\])?:/)).toEqual([
      ["Error:", "Error [", "Exception:", "Exception ["],
    ]);
    expect(literalsOf(/ab+cd/)).toEqual([["abcd", "abb"]]);
    expect(literalsOf(/xyz*!/)).toEqual([["xy!", "xyz"]]);
    expect(literalsOf(/fetch(?:ing)? http/)).toEqual([["fetch http", "fetching http"]]);
  });

  it("has no literal for what holds fewer than 3 fixed characters", () => {
    expect(literalsOf(/^\s*ab\s*$|\d+ms|(?=abc)x/)).toEqual([undefined, undefined, undefined]);
  });

  it("leaves out characters whose case folds beyond ASCII under the i flag", () => {
    expect(literalsOf(/Übersetzung fehlgeschlagen/i)).toEqual([["bersetzung fehlgeschlagen"]]);
    expect(literalsOf(/Übersetzung/)).toEqual([["Übersetzung"]]);
  });

  it("refuses a rule alternative the classifier could only find by testing every line", () => {
    expect(() =>
      deriveRuleLiterals([{ code: "UNKNOWN", pattern: /error TS\d+|^\w+:\d+$/ }]),
    ).toThrow("rule 0 (UNKNOWN): the alternative /^\\w+:\\d+$/ holds no literal");
  });

  it("is right for every corpus line a rule or a migration sign matches", () => {
    const lines = readCorpus()
      .flatMap((c) => c.log.split("\n"))
      .map(lineText);
    let matched = 0;
    for (const pattern of [...RULES.map((rule) => rule.pattern), MIGRATION_ACTIVITY]) {
      for (const source of alternatives(pattern.source)) {
        const alternative = new RegExp(source, pattern.flags);
        const literals = requiredLiterals(source, pattern.flags.includes("i"))!;
        const folded = literals.map((literal) => literal.toLowerCase());
        for (const line of lines.filter((text) => alternative.test(text))) {
          matched++;
          expect([source, line, folded.some((l) => line.toLowerCase().includes(l))]).toEqual([
            source,
            line,
            true,
          ]);
        }
      }
    }
    expect(matched).toBeGreaterThan(100);
  });
});
