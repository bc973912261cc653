import { buildPrefilter } from "./prefilter.js";
import { HANDLED_LINE } from "./rules/handled-lines.js";
import { RULES } from "./rules/index.js";
import type { EvidenceRule } from "./rules/rule.js";
import type { FailureStep } from "./step-names.js";

// Most lines match no rule: one cheap pass rules that out before any rule is tried.
const MAY_MATCH = buildPrefilter(RULES.map((rule) => rule.pattern));

const RULES_BY_STEP = new Map<FailureStep, readonly EvidenceRule[]>();

function rulesFor(step: FailureStep): readonly EvidenceRule[] {
  let rules = RULES_BY_STEP.get(step);
  if (!rules) {
    rules = RULES.filter((rule) => !rule.steps || rule.steps.includes(step));
    RULES_BY_STEP.set(step, rules);
  }
  return rules;
}

/** The rule that names a line in a step, if any: the first that matches, in RULES order. */
export function matchLine(text: string, step: FailureStep): EvidenceRule | undefined {
  if (!MAY_MATCH.test(text) || HANDLED_LINE.test(text)) return undefined;
  return rulesFor(step).find((rule) => rule.pattern.test(text));
}
