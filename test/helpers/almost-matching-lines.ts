import { type PatternNode, parsePattern } from "../../src/failures/scan/backtracking-hazards.js";

/** A line's worth of characters: lineText reads the first 4096 of a line. */
export const LINE_CHARS = 4096;

// Characters tried first when a class must be spelled: what logs are made of.
const PREFERRED = "a1 /:.-_\"'[]=@(){}<>,;!?#$%&*+|~`^\\\t";

/** One string a node can match (its `choice`-th alternative where it has several). */
function spell(node: PatternNode, choice: number): string {
  switch (node.kind) {
    case "assert":
      return "";
    case "chars": {
      if (node.text.length === 1 && node.text !== ".") return node.text;
      if (/^\\[^dDwWsSbBxuc0-9]$/.test(node.text)) return node.text[1]!;
      for (const c of PREFERRED) if (node.chars[c.charCodeAt(0)]) return c;
      for (let code = 33; code < 127; code++)
        if (node.chars[code]) return String.fromCharCode(code);
      return "\u00e9";
    }
    case "group": {
      const body = node.body[choice % node.body.length]!;
      return body.map((n) => spell(n, choice)).join("");
    }
    case "repeat":
      return spell(node.node, choice).repeat(Math.min(Math.max(node.min, 1), 3));
  }
}

/**
 * Lines that almost match a pattern's alternative, as long as lineText lets a line be: each
 * beginning of a spelling of it repeated, alone, spaced, and before or after the whole
 * spelling cut short of its last character.
 */
export function almostMatchingLines(pattern: RegExp): string[] {
  const lines = new Set<string>();
  for (const whole of spellings(pattern)) {
    const cuts = new Set([1, 2, 3, 5, 8, 13, 21].map((k) => Math.min(k, whole.length)));
    for (let k = 1; k < whole.length; k += Math.max(1, Math.floor(whole.length / 6))) cuts.add(k);
    const almost = whole.slice(0, -1);
    for (const cut of cuts) {
      const start = whole.slice(0, cut);
      for (const unit of [start, `${start} `]) {
        const run = unit.repeat(Math.ceil(LINE_CHARS / unit.length));
        lines.add(run.slice(0, LINE_CHARS));
        lines.add(`${run.slice(0, LINE_CHARS - almost.length)}${almost}`);
        lines.add(`${almost}${run}`.slice(0, LINE_CHARS));
      }
    }
  }
  return [...lines];
}

/** Strings that match (or nearly) each of a pattern's alternatives, two ways each. */
export function spellings(pattern: RegExp): string[] {
  return parsePattern(pattern).flatMap((sequence) =>
    [0, 1]
      .map((choice) => sequence.map((n) => spell(n, choice)).join(""))
      .filter((whole) => whole.length > 0),
  );
}
