import { MIGRATION_ACTIVITY } from "../rules/migration-activity.js";
import type { EvidenceRule } from "../rules/rule.js";
import { STACK_SIGNS } from "../rules/stacks.js";
import { buildLiteralAutomaton, type LiteralAutomaton } from "./literal-automaton.js";
import { alternatives, requiredLiterals } from "./required-literals.js";

/** One top-level alternative of a pattern, tested alone: the pattern matches iff one does. */
export type Alternative = { pattern: RegExp; owner: number };

/**
 * What the rules' patterns (and the migration signs) need a line to hold, read from their
 * sources: one automaton of all their literals, and for each literal the alternatives it
 * admits. A line that holds none of an alternative's literals cannot match it, so a line is
 * tested only against the alternatives its literals admit (and most lines hold none).
 */
export type RuleLiterals = {
  automaton: LiteralAutomaton;
  /** By literal index: the alternatives (indexes into `alternatives`) it admits. */
  admits: readonly (readonly number[])[];
  /**
   * Owner: the rule's index in the rules given, MIGRATION for the migration signs, or
   * stackOwner(i) for STACK_SIGNS[i].
   */
  alternatives: readonly Alternative[];
};

// Beyond this many characters, a literal selects no fewer lines.
const MAX_LITERAL_CHARS = 32;

/** The owner of MIGRATION_ACTIVITY's alternatives. */
export const MIGRATION = -1;

/** The owner of STACK_SIGNS[index]'s alternatives (and back): below MIGRATION. */
export const stackOwner = (index: number): number => -2 - index;
export const stackOfOwner = (owner: number): number => -2 - owner;

export function deriveRuleLiterals(rules: readonly EvidenceRule[]): RuleLiterals {
  const literalIndex = new Map<string, number>();
  const admits: number[][] = [];
  const all: Alternative[] = [];
  const add = (pattern: RegExp, owner: number, what: string) => {
    const ignoreCase = pattern.flags.includes("i");
    for (const source of alternatives(pattern.source)) {
      const literals = requiredLiterals(source, ignoreCase);
      if (!literals) {
        throw new Error(
          `${what}: the alternative /${source}/ holds no literal of 3 or more characters that every match contains; the classifier could only find it by testing every line`,
        );
      }
      // Its backtracking is checked by test/security/classifier-properties.test.ts, not here:
      // reading every pattern for it would add ~50 ms to each start of the classifier.
      const index = all.push({ pattern: new RegExp(source, pattern.flags), owner }) - 1;
      for (const literal of literals) {
        // A literal's start is in every match too, and a shorter key keeps the table small.
        const key = [...literal.replace(/[A-Z]/g, (c) => c.toLowerCase())]
          .slice(0, MAX_LITERAL_CHARS)
          .join("");
        let at = literalIndex.get(key);
        if (at === undefined) {
          at = admits.push([]) - 1;
          literalIndex.set(key, at);
        }
        if (!admits[at]!.includes(index)) admits[at]!.push(index);
      }
    }
  };
  rules.forEach((rule, index) => {
    add(rule.pattern, index, `rule ${index} (${rule.code})`);
  });
  add(MIGRATION_ACTIVITY, MIGRATION, "MIGRATION_ACTIVITY");
  STACK_SIGNS.forEach((sign, index) => {
    add(sign.pattern, stackOwner(index), `the ${sign.stack} sign`);
  });
  return {
    automaton: buildLiteralAutomaton([...literalIndex.keys()]),
    admits,
    alternatives: all,
  };
}
