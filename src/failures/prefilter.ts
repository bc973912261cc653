/** A fast test that a line may match one of a list of patterns. */
export type Prefilter = { test(line: string): boolean };

/**
 * Never false when one of the patterns matches, and cheap when none does (most log lines).
 * From each top-level alternative of each pattern it keeps a piece every match contains (a
 * literal run, or a group of literals) and looks for all of them at once in the lowercased
 * line; an alternative with no such piece is kept whole, tested case-insensitively.
 */
export function buildPrefilter(patterns: readonly RegExp[]): Prefilter {
  const literals = new Set<string>();
  const whole: string[] = [];
  for (const pattern of patterns) {
    for (const alternative of alternatives(pattern.source)) {
      const needed = requiredLiterals(alternative);
      if (needed) for (const literal of needed) literals.add(literal.toLowerCase());
      else whole.push(`(?:${alternative})`);
    }
  }
  // A line holding "error validating" holds "error": the longer literal adds nothing.
  const needed = [...literals].filter(
    (literal) => ![...literals].some((other) => other !== literal && literal.includes(other)),
  );
  const anyLiteral = new RegExp(needed.map(escapeLiteral).join("|"));
  const anyWhole = whole.length > 0 ? new RegExp(whole.join("|"), "i") : undefined;
  return {
    test: (line) => anyLiteral.test(line.toLowerCase()) || (anyWhole?.test(line) ?? false),
  };
}

// A piece shorter than this would let most lines through: keep the whole alternative instead.
const MIN_PIECE = 4;
const QUANTIFIER = /^(?:[?*+]|\{\d)/;
const LITERAL_ESCAPE = /^\\[.[\](){}$^*+?\\/|"'`-]/;

/** Literals one of which every match of the alternative contains; the longest such set. */
function requiredLiterals(alternative: string): string[] | undefined {
  let best: { literals: string[]; score: number } = { literals: [], score: 0 };
  const consider = (literals: string[]) => {
    const score = Math.min(...literals.map((literal) => literal.length));
    if (score > best.score) best = { literals, score };
  };
  let run = "";
  const flush = () => {
    consider([run]);
    run = "";
  };
  for (let i = 0; i < alternative.length; ) {
    const atom = atomAt(alternative.slice(i));
    i += atom.length;
    const quantifier = /^(?:\{[^}]*\}|[?*+])\??/.exec(alternative.slice(i));
    if (quantifier && QUANTIFIER.test(quantifier[0])) {
      flush();
      i += quantifier[0].length;
    } else if (atom.kind === "literal") {
      run += atom.literal;
    } else {
      flush();
      const members = atom.kind === "group" ? literalMembers(atom.text) : undefined;
      if (members) consider(members);
    }
  }
  flush();
  return best.score >= MIN_PIECE ? best.literals : undefined;
}

type Atom =
  | { kind: "literal"; literal: string; length: number }
  | { kind: "group"; text: string; length: number }
  | { kind: "other"; length: number };

function atomAt(rest: string): Atom {
  if (LITERAL_ESCAPE.test(rest)) return { kind: "literal", literal: rest[1]!, length: 2 };
  if (rest[0] === "\\") return { kind: "other", length: 2 };
  if (rest[0] === "[") return { kind: "other", length: classLength(rest) };
  if (rest[0] === "(") {
    const length = groupLength(rest);
    return { kind: "group", text: rest.slice(0, length), length };
  }
  if ("^$.|".includes(rest[0]!)) return { kind: "other", length: 1 };
  return { kind: "literal", literal: rest[0]!, length: 1 };
}

/** `(?:a|bc)` → ["a", "bc"]; undefined if the group holds anything but literals. */
function literalMembers(group: string): string[] | undefined {
  if (!group.startsWith("(?:")) return undefined;
  const members = alternatives(group.slice(3, -1));
  const literals: string[] = [];
  for (const member of members) {
    let literal = "";
    for (let i = 0; i < member.length; ) {
      const atom = atomAt(member.slice(i));
      if (atom.kind !== "literal" || QUANTIFIER.test(member.slice(i + atom.length)))
        return undefined;
      literal += atom.literal;
      i += atom.length;
    }
    literals.push(literal);
  }
  return literals;
}

function alternatives(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") i += classLength(source.slice(i)) - 1;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(source.slice(start));
  return parts;
}

function classLength(rest: string): number {
  for (let i = 1; i < rest.length; i++) {
    if (rest[i] === "\\") i++;
    else if (rest[i] === "]") return i + 1;
  }
  return rest.length;
}

function groupLength(rest: string): number {
  let depth = 0;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "\\") i++;
    else if (rest[i] === "[") i += classLength(rest.slice(i)) - 1;
    else if (rest[i] === "(") depth++;
    else if (rest[i] === ")" && --depth === 0) return i + 1;
  }
  return rest.length;
}

function escapeLiteral(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
