/**
 * A regular expression's source read for what its matches must contain: its top-level
 * alternatives, and for each a set of literals one of which every match of it holds. Only
 * plain sources are read (no backreferences, named groups or the `u` and `v` flags: see
 * rules/rule.ts); whatever this reader does not understand, it treats as matching anything.
 */

/** The top-level `|`-separated parts of a source: a string matches it iff it matches one. */
export function alternatives(source: string): string[] {
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

// A piece shorter than this would let most lines through.
const MIN_PIECE = 3;
// Beyond this many spellings, a sequence of groups is cut into shorter pieces.
const MAX_SPELLINGS = 32;
const QUANTIFIER = /^(?:\{\d+(?:,\d*)?\}|[?*+])\??/;
// Repetitions of an atom spelled out before the rest is cut off.
const MAX_REPEATS = 4;
const LITERAL_ESCAPE = /^\\[.[\](){}$^*+?\\/|"'`-]/;

/**
 * Literals one of which every match of the alternative contains (of the sets found, the one
 * whose shortest literal is longest), or undefined when it has none of at least 3 characters.
 * Under `ignoreCase` the literals are to be looked for ignoring ASCII case; a character that
 * has other cases beyond ASCII is never part of one.
 */
export function requiredLiterals(alternative: string, ignoreCase: boolean): string[] | undefined {
  let best: string[] | undefined;
  let bestScore = MIN_PIECE - 1;
  // The piece being read: the ways a match can spell it so far. An open spelling goes on with
  // the next atom; a closed one is followed by something this reader cannot spell.
  let piece: Spelling[] = [{ text: "", open: true }];
  const flush = () => {
    const score = Math.min(...piece.map((spelling) => spelling.text.length));
    if (score > bestScore) {
      best = piece.map((spelling) => spelling.text);
      bestScore = score;
    }
    piece = [{ text: "", open: true }];
  };
  /** Every match goes on with one of `texts`; `open`: then with the next atom. */
  const extend = (texts: readonly string[], open: boolean, keep: boolean) => {
    const next = piece.flatMap((spelling) =>
      spelling.open
        ? [
            ...(keep ? [spelling] : []),
            ...texts.map((text) => ({ text: spelling.text + text, open })),
          ]
        : [spelling],
    );
    if (next.length > MAX_SPELLINGS) {
      // Too many ways: end the piece here; the next one starts with these texts, if they
      // must come.
      flush();
      if (!keep) piece = texts.map((text) => ({ text, open }));
    } else piece = next;
    if (!piece.some((spelling) => spelling.open)) flush();
  };

  for (let i = 0; i < alternative.length; ) {
    const atom = atomAt(alternative.slice(i));
    i += atom.length;
    const quantifier = QUANTIFIER.exec(alternative.slice(i));
    if (quantifier) i += quantifier[0].length;
    const { min, max } = quantifier ? repeats(quantifier[0]) : { min: 1, max: 1 };
    const whole = atomSpellings(atom, ignoreCase);
    const leads = whole ?? atomLeads(atom, ignoreCase);
    if (!leads) {
      flush();
      continue;
    }
    if (!whole) {
      // Every match holds one of its leads, then what cannot be spelled: once at least, or
      // not at all.
      extend(leads, false, min === 0);
      continue;
    }
    for (let n = 0; n < Math.min(min, MAX_REPEATS); n++) extend(whole, true, false);
    if (min > MAX_REPEATS) flush();
    // More of it may follow, or not: either the next atom, or one more of this one.
    else if (max > min) extend(whole, max === min + 1, true);
  }
  flush();
  return best;
}

type Spelling = { text: string; open: boolean };

/** How many times a quantifier repeats its atom: `?` 0–1, `+` 1–∞, `{2,5}` 2–5. */
function repeats(quantifier: string): { min: number; max: number } {
  const q = quantifier.length > 1 ? quantifier.replace(/\?$/, "") : quantifier;
  if (q === "?") return { min: 0, max: 1 };
  if (q === "*") return { min: 0, max: Number.POSITIVE_INFINITY };
  if (q === "+") return { min: 1, max: Number.POSITIVE_INFINITY };
  const [, min, comma, max] = /^\{(\d+)(,?)(\d*)\}$/.exec(q)!;
  return {
    min: Number(min),
    max: comma ? (max ? Number(max) : Number.POSITIVE_INFINITY) : Number(min),
  };
}

type Atom =
  | { kind: "literal"; literal: string; length: number }
  | { kind: "group"; text: string; length: number }
  | { kind: "class"; text: string; length: number }
  | { kind: "other"; length: number };

function atomAt(rest: string): Atom {
  if (LITERAL_ESCAPE.test(rest)) return { kind: "literal", literal: rest[1]!, length: 2 };
  if (rest.startsWith("\\d")) return { kind: "class", text: "[0123456789]", length: 2 };
  if (rest[0] === "\\") return { kind: "other", length: escapeLength(rest) };
  if (rest[0] === "[") {
    const length = classLength(rest);
    return { kind: "class", text: rest.slice(0, length), length };
  }
  if (rest[0] === "(") {
    const length = groupLength(rest);
    return { kind: "group", text: rest.slice(0, length), length };
  }
  if ("^$.|".includes(rest[0]!)) return { kind: "other", length: 1 };
  // One code point: a surrogate pair is one character of a literal.
  const literal = String.fromCodePoint(rest.codePointAt(0)!);
  return { kind: "literal", literal, length: literal.length };
}

/** `\xHH`, `\uHHHH`, `\cX` and the one-letter escapes (`\b`, `\d`, `\S`…): none is a literal. */
function escapeLength(rest: string): number {
  if (rest[1] === "x") return 4;
  if (rest[1] === "u") return 6;
  if (rest[1] === "c") return 3;
  return 2;
}

/** The ways an atom can be spelled, or undefined if more than a few or not only literals. */
function atomSpellings(atom: Atom, ignoreCase: boolean): string[] | undefined {
  const spellings =
    atom.kind === "literal"
      ? [atom.literal]
      : atom.kind === "group"
        ? groupMembers(atom.text, ignoreCase)
        : atom.kind === "class"
          ? classMembers(atom.text)
          : undefined;
  if (!spellings) return undefined;
  const foldable = (text: string) =>
    ignoreCase && [...text].some((c) => c > "\x7f" && c.toLowerCase() !== c.toUpperCase());
  return spellings.some(foldable) ? undefined : spellings;
}

/** The ways a group's matches can begin (its members' first literals), if all of them have one. */
function atomLeads(atom: Atom, ignoreCase: boolean): string[] | undefined {
  const body = atom.kind === "group" ? groupBody(atom.text) : undefined;
  if (body === undefined) return undefined;
  const leads: string[] = [];
  for (const member of alternatives(body)) {
    const sequence: string[][] = [];
    for (let i = 0; i < member.length; ) {
      const inner = atomAt(member.slice(i));
      i += inner.length;
      const spellings = QUANTIFIER.test(member.slice(i))
        ? undefined
        : atomSpellings(inner, ignoreCase);
      if (!spellings) break;
      sequence.push(spellings);
    }
    const lead = spellingsOfAll(sequence);
    if (!lead || sequence.length === 0) return undefined;
    leads.push(...lead);
  }
  return leads.length <= MAX_SPELLINGS ? leads : undefined;
}

/** What a group matches: `(?:x)` and `(x)` match x; a lookaround matches nothing. */
function groupBody(group: string): string | undefined {
  if (group.startsWith("(?:")) return group.slice(3, -1);
  if (group.startsWith("(?")) return undefined;
  return group.slice(1, -1);
}

/**
 * `(?:a|bc?)` → ["a", "b", "bc"]; undefined if the group holds anything but literals and
 * optional literals.
 */
function groupMembers(group: string, ignoreCase: boolean): string[] | undefined {
  const body = groupBody(group);
  if (body === undefined) return undefined;
  const members: string[] = [];
  for (const member of alternatives(body)) {
    const sequence: string[][] = [];
    for (let i = 0; i < member.length; ) {
      const atom = atomAt(member.slice(i));
      i += atom.length;
      const spellings = atomSpellings(atom, ignoreCase);
      if (!spellings) return undefined;
      const quantifier = QUANTIFIER.exec(member.slice(i));
      if (quantifier) {
        i += quantifier[0].length;
        const { min, max } = repeats(quantifier[0]);
        if (min !== 0 || max !== 1) return undefined;
        sequence.push(["", ...spellings]);
      } else sequence.push(spellings);
    }
    const whole = spellingsOfAll(sequence);
    if (!whole) return undefined;
    members.push(...whole);
  }
  return members.length <= MAX_SPELLINGS ? members : undefined;
}

/** `[13]` → ["1", "3"]; undefined for a negated class, a range or an escape. */
function classMembers(text: string): string[] | undefined {
  const body = text.slice(1, -1);
  if (body === "" || /[\\^\-\]]/.test(body)) return undefined;
  const members = [...new Set(body)];
  return members.length <= 10 ? members : undefined;
}

/** Every spelling of the whole sequence, or undefined if there are too many. */
function spellingsOfAll(sequence: readonly string[][]): string[] | undefined {
  let spellings = [""];
  for (const options of sequence) {
    if (spellings.length * options.length > MAX_SPELLINGS) return undefined;
    spellings = spellings.flatMap((prefix) => options.map((option) => prefix + option));
  }
  return spellings;
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
