import { FAILURE_STEPS, type FailureStep } from "../../pipeline/step-names.js";
import { HANDLED_LINE } from "../rules/handled-lines.js";
import { RULES } from "../rules/index.js";
import { MIGRATION_DONE } from "../rules/migration-activity.js";
import type { EvidenceRule } from "../rules/rule.js";
import { STACK_SIGNS, type Stack } from "../rules/stacks.js";
import { literalsIn } from "./literal-automaton.js";
import { deriveRuleLiterals, MIGRATION, stackOfOwner } from "./rule-literals.js";

/** The literals of every rule and of the migration signs, in one automaton. */
export const RULE_LITERALS = deriveRuleLiterals(RULES);

const { admits, alternatives } = RULE_LITERALS;

// By literal: the alternatives it admits, in RULES order (the migration and stack signs' last).
const ADMITTED = admits.map((list) =>
  [...list].sort((a, b) => rank(alternatives[a]!.owner) - rank(alternatives[b]!.owner)),
);

// By literal: the migration signs' patterns it admits (for most, none).
const MIGRATION_ADMITTED = ADMITTED.map((list) =>
  list
    .filter((index) => alternatives[index]!.owner === MIGRATION)
    .map((index) => alternatives[index]!.pattern),
);

// By literal: the stack signs it admits (for most, none).
const STACK_ADMITTED = ADMITTED.map((list) =>
  list
    .filter((index) => alternatives[index]!.owner < MIGRATION)
    .map((index) => ({
      pattern: alternatives[index]!.pattern,
      stack: STACK_SIGNS[stackOfOwner(alternatives[index]!.owner)]!.stack,
    })),
);

const APPLIES = new Map<FailureStep, readonly boolean[]>(
  FAILURE_STEPS.map((step) => [
    step,
    RULES.map((rule) => !rule.steps || rule.steps.includes(step)),
  ]),
);

/**
 * The rule that names a line in a step, if any: the first that matches, in RULES order.
 * `literals` are those the line holds (literalsIn over RULE_LITERALS.automaton): only the
 * rule alternatives they admit can match.
 */
export function ruleFor(
  text: string,
  literals: readonly number[],
  step: FailureStep,
): EvidenceRule | undefined {
  const applies = APPLIES.get(step)!;
  const first = literals.length === 1 ? ADMITTED[literals[0]!]! : merged(literals);
  let handled: boolean | undefined;
  for (const index of first) {
    const { pattern, owner } = alternatives[index]!;
    if (owner < 0) break;
    if (!applies[owner]) continue;
    handled ??= HANDLED_LINE.test(text);
    if (handled) return undefined;
    if (pattern.test(text)) return RULES[owner];
  }
  return undefined;
}

/** Whether a line shows a migration running (done: or that it finished), given its literals. */
export function migrationSign(
  text: string,
  literals: readonly number[],
): { done: boolean } | undefined {
  for (const literal of literals) {
    for (const pattern of MIGRATION_ADMITTED[literal]!) {
      if (pattern.test(text)) return { done: MIGRATION_DONE.test(text) };
    }
  }
  return undefined;
}

/** The stack a line shows (a tool's invocation, error class or package), given its literals. */
export function stackSign(text: string, literals: readonly number[]): Stack | undefined {
  for (const literal of literals) {
    for (const { pattern, stack } of STACK_ADMITTED[literal]!) {
      if (pattern.test(text)) return stack;
    }
  }
  return undefined;
}

/** The rule that names a line in a step, if any: the first that matches, in RULES order. */
export function matchLine(text: string, step: FailureStep): EvidenceRule | undefined {
  const literals = literalsIn(RULE_LITERALS.automaton, text);
  return literals.length === 0 ? undefined : ruleFor(text, literals, step);
}

// Lines hold the same few sets of literals again and again.
const MERGED = new Map<string | number, readonly number[]>();
const MAX_MERGED = 4096;

function merged(literals: readonly number[]): readonly number[] {
  // Two literals, the usual case, make a number; a string is built only for more.
  const key = literals.length === 2 ? literals[0]! * 65_536 + literals[1]! : literals.join(",");
  let list = MERGED.get(key);
  if (!list) {
    const all = new Set<number>();
    for (const literal of literals) for (const index of ADMITTED[literal]!) all.add(index);
    list = [...all].sort((a, b) => rank(alternatives[a]!.owner) - rank(alternatives[b]!.owner));
    if (MERGED.size >= MAX_MERGED) MERGED.clear();
    MERGED.set(key, list);
  }
  return list;
}

function rank(owner: number): number {
  return owner < 0 ? RULES.length - owner : owner;
}
