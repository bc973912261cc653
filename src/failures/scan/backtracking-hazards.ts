/**
 * What makes a regular expression slow on a long line in a backtracking engine (V8's), read
 * from its source: the shapes whose work grows faster than the text when a line almost
 * matches. Every pattern the classifier runs over a log line, and every parser of a file a
 * tenant writes, must have none (test/security/classifier-properties.test.ts). Returns one
 * sentence per hazard found; none means the pattern's work is linear in the text (times a
 * constant that bounded quantifiers may make large, never the text's length).
 *
 * - nested: a repeated group holding an unbounded quantifier, `(a+)+`: exponential.
 * - overlap: two unbounded quantifiers whose characters overlap, with only such characters
 *   between them, `\S+.*x`, `.*a.*b`: every split of the run between them is tried.
 * - restart: an unanchored pattern with an unbounded quantifier (not at its end) whose run
 *   can hold the pattern's own beginning again, `foo.*bar`, `ERR_\w*LOCK`: the search starts
 *   again at each occurrence of the beginning and runs to the end of the line each time.
 *
 * The remedies: a bounded quantifier (`\w{0,64}`), a class the beginning cannot occur in
 * (`\[[^[\]]*\]`), or a tempered loop that stops at the first occurrence,
 * `(?:^|[\n\r\u2028\u2029])(?:(?!foo).)*foo.*bar` (rules/then-later.ts), which the engine
 * cannot re-enter: each of its steps refuses the position where `foo` begins, and `foo` must
 * follow it.
 *
 * Reads plain sources as rules/rule.ts allows them (numbered backreferences are read as any
 * character); the `u` and `v` flags are not read.
 */
export function backtrackingHazards(pattern: RegExp): string[] {
  const flags = { ignoreCase: pattern.flags.includes("i"), multiline: pattern.flags.includes("m") };
  const top = parsePattern(pattern);
  const hazards: string[] = [];
  const report = (what: string) => {
    if (!hazards.includes(what)) hazards.push(what);
  };
  for (const sequence of top) {
    // Sticky patterns are tried where lastIndex says only.
    const anchored =
      pattern.sticky ||
      (sequence[0]?.kind === "assert" && sequence[0].text === "^" && !flags.multiline);
    checkSequence(sequence, report, flags.multiline);
    if (!anchored) checkRestart(sequence, [], [], report, flags.multiline);
  }
  return hazards;
}

/**
 * A pattern's top-level alternatives as this reader sees them: what backtrackingHazards
 * checks, and what a test can spell out to make lines that almost match.
 */
export function parsePattern(pattern: RegExp): PatternNode[][] {
  const flags = { ignoreCase: pattern.flags.includes("i"), multiline: pattern.flags.includes("m") };
  return new Parser(pattern.source, flags).alternatives();
}

// Characters as a bitmap: ASCII 0–127, then non-ASCII whitespace, other non-ASCII, and the
// line terminators U+2028 and U+2029 (which `.` does not match).
const SIZE = 131;
const WIDE_SPACE = 128;
const WIDE_OTHER = 129;
const WIDE_TERMINATOR = 130;
/** ASCII characters by code, then non-ASCII whitespace, other non-ASCII, U+2028/U+2029. */
type Chars = Uint8Array;

export type PatternNode = Node;

type Node =
  | { kind: "chars"; chars: Chars; text: string }
  | { kind: "assert"; text: string; body?: Node[][] }
  | { kind: "group"; body: Node[][]; text: string }
  | { kind: "repeat"; node: Node; min: number; max: number; text: string };

class Parser {
  #at = 0;
  readonly #source: string;
  readonly #flags: { ignoreCase: boolean; multiline: boolean };

  constructor(source: string, flags: { ignoreCase: boolean; multiline: boolean }) {
    this.#source = source;
    this.#flags = flags;
  }

  alternatives(): Node[][] {
    const all: Node[][] = [this.#sequence()];
    while (this.#source[this.#at] === "|") {
      this.#at++;
      all.push(this.#sequence());
    }
    return all;
  }

  #sequence(): Node[] {
    const nodes: Node[] = [];
    const s = this.#source;
    while (this.#at < s.length && s[this.#at] !== "|" && s[this.#at] !== ")") {
      const start = this.#at;
      const atom = this.#atom();
      const quantifier = /^(?:\{(\d+)(?:(,)(\d*))?\}|([?*+]))\??/.exec(s.slice(this.#at));
      if (quantifier && atom.kind !== "assert") {
        this.#at += quantifier[0].length;
        const [, min, comma, max, sign] = quantifier;
        const bounds =
          sign === "?"
            ? { min: 0, max: 1 }
            : sign === "*"
              ? { min: 0, max: Number.POSITIVE_INFINITY }
              : sign === "+"
                ? { min: 1, max: Number.POSITIVE_INFINITY }
                : {
                    min: Number(min),
                    max: comma ? (max ? Number(max) : Number.POSITIVE_INFINITY) : Number(min),
                  };
        nodes.push({ kind: "repeat", node: atom, ...bounds, text: s.slice(start, this.#at) });
      } else nodes.push(atom);
    }
    return nodes;
  }

  #atom(): Node {
    const s = this.#source;
    const start = this.#at;
    const c = s[this.#at]!;
    if (c === "(") {
      const lookaround = /^\(\?<?[=!]/.exec(s.slice(this.#at));
      const opener = lookaround?.[0] ?? (s.startsWith("(?:", this.#at) ? "(?:" : "(");
      this.#at += opener.length;
      const body = this.alternatives();
      this.#at++; // ")"
      const text = s.slice(start, this.#at);
      return lookaround ? { kind: "assert", text, body } : { kind: "group", body, text };
    }
    if (c === "^" || c === "$") {
      this.#at++;
      return { kind: "assert", text: c };
    }
    if (c === "[") return this.#class();
    if (c === "\\") {
      const next = s[this.#at + 1]!;
      if (next === "b" || next === "B") {
        this.#at += 2;
        return { kind: "assert", text: `\\${next}` };
      }
      const chars = this.#escape(false);
      return { kind: "chars", chars, text: s.slice(start, this.#at) };
    }
    this.#at++;
    if (c === ".") return { kind: "chars", chars: dot(), text: c };
    return { kind: "chars", chars: this.#fold(single(c.charCodeAt(0))), text: c };
  }

  #class(): Node {
    const s = this.#source;
    const start = this.#at++;
    const negated = s[this.#at] === "^";
    if (negated) this.#at++;
    const chars = new Uint8Array(SIZE);
    while (this.#at < s.length && s[this.#at] !== "]") {
      const from = this.#member();
      if (s[this.#at] === "-" && s[this.#at + 1] !== "]" && from.code !== undefined) {
        this.#at++;
        const to = this.#member();
        if (to.code !== undefined) {
          for (let code = from.code; code <= to.code; code++) union(chars, single(code));
          continue;
        }
        union(chars, from.chars);
        union(chars, single(0x2d));
        union(chars, to.chars);
        continue;
      }
      union(chars, from.chars);
    }
    this.#at++; // "]"
    const folded = this.#fold(chars);
    return {
      kind: "chars",
      chars: negated ? complement(folded) : folded,
      text: s.slice(start, this.#at),
    };
  }

  /** One member of a class: a character (with its code, for ranges) or an escaped class. */
  #member(): { chars: Chars; code?: number } {
    const s = this.#source;
    if (s[this.#at] === "\\") {
      const start = this.#at;
      const chars = this.#escape(true);
      const code = escapedCode(s.slice(start, this.#at));
      return code === undefined ? { chars } : { chars, code };
    }
    const code = s.charCodeAt(this.#at++);
    return { chars: single(code), code };
  }

  /** `\d`, `\n`, `\x41`, `\1`…, at #at; in a class, `\b` is a backspace. */
  #escape(inClass: boolean): Chars {
    const s = this.#source;
    const next = s[this.#at + 1]!;
    const start = this.#at;
    this.#at += 2;
    switch (next) {
      case "d":
        return range(0x30, 0x39);
      case "D":
        return complement(range(0x30, 0x39));
      case "w":
        return word();
      case "W":
        return complement(word());
      case "s":
        return space();
      case "S":
        return complement(space());
      case "x":
        this.#at += 2;
        return this.#fold(single(Number.parseInt(s.slice(start + 2, this.#at), 16)));
      case "u":
        this.#at += 4;
        return this.#fold(single(Number.parseInt(s.slice(start + 2, this.#at), 16)));
      case "c":
        this.#at += 1;
        return single(s.charCodeAt(start + 2) % 32);
      default: {
        if (!inClass && /[1-9]/.test(next)) {
          while (/\d/.test(s[this.#at] ?? "")) this.#at++;
          return complement(new Uint8Array(SIZE)); // a backreference: anything
        }
        const code = escapedCode(s.slice(start, this.#at));
        return this.#fold(single(code ?? next.charCodeAt(0)));
      }
    }
  }

  #fold(chars: Chars): Chars {
    if (!this.#flags.ignoreCase) return chars;
    const folded = chars.slice();
    for (let c = 0x41; c <= 0x5a; c++) {
      if (chars[c] || chars[c + 0x20]) folded[c] = folded[c + 0x20] = 1;
    }
    return folded;
  }
}

function escapedCode(text: string): number | undefined {
  const simple: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, b: 8, "0": 0 };
  const letter = text[1]!;
  if (letter in simple) return simple[letter];
  if (letter === "x" || letter === "u") return Number.parseInt(text.slice(2), 16);
  if (/[dDwWsSc1-9]/.test(letter)) return undefined;
  return letter.charCodeAt(0);
}

function single(code: number): Chars {
  const chars = new Uint8Array(SIZE);
  if (code < 128) chars[code] = 1;
  else if (code === 0x2028 || code === 0x2029) chars[WIDE_TERMINATOR] = 1;
  else chars[isWideSpace(code) ? WIDE_SPACE : WIDE_OTHER] = 1;
  return chars;
}

function isWideSpace(code: number): boolean {
  return /\s/.test(String.fromCharCode(code));
}

function range(from: number, to: number): Chars {
  const chars = new Uint8Array(SIZE);
  for (let c = from; c <= to; c++) union(chars, single(c));
  return chars;
}

function word(): Chars {
  const chars = range(0x30, 0x39);
  union(chars, range(0x41, 0x5a));
  union(chars, range(0x61, 0x7a));
  chars[0x5f] = 1;
  return chars;
}

function space(): Chars {
  const chars = new Uint8Array(SIZE);
  for (const c of [9, 10, 11, 12, 13, 32]) chars[c] = 1;
  chars[WIDE_SPACE] = chars[WIDE_TERMINATOR] = 1;
  return chars;
}

function dot(): Chars {
  const chars = complement(new Uint8Array(SIZE));
  chars[10] = chars[13] = chars[WIDE_TERMINATOR] = 0;
  return chars;
}

function complement(chars: Chars): Chars {
  return chars.map((bit) => 1 - bit);
}

function union(into: Chars, from: Chars): void {
  for (let c = 0; c < SIZE; c++) if (from[c]) into[c] = 1;
}

function intersect(a: Chars, b: Chars): Chars {
  return a.map((bit, c) => bit & b[c]!);
}

function overlaps(a: Chars, b: Chars): boolean {
  for (let c = 0; c < SIZE; c++) if (a[c]! & b[c]!) return true;
  return false;
}

function isEmpty(chars: Chars): boolean {
  return !chars.some((bit) => bit === 1);
}

/** Every character a node can consume. */
function charsOf(node: Node): Chars {
  if (node.kind === "chars") return node.chars;
  if (node.kind === "repeat") return charsOf(node.node);
  let chars = GROUP_CHARS.get(node);
  if (!chars) {
    chars = new Uint8Array(SIZE);
    if (node.kind === "group")
      for (const seq of node.body) for (const n of seq) union(chars, charsOf(n));
    GROUP_CHARS.set(node, chars);
  }
  return chars;
}

// A group's characters, asked for again for each quantifier before or after it.
const GROUP_CHARS = new WeakMap<Node, Chars>();

function nullable(node: Node): boolean {
  if (node.kind === "chars") return false;
  if (node.kind === "assert") return true;
  if (node.kind === "repeat") return node.min === 0 || nullable(node.node);
  return node.body.some((seq) => seq.every(nullable));
}

function unbounded(node: Node): boolean {
  return node.kind === "repeat" && node.max === Number.POSITIVE_INFINITY;
}

/** Whether a node holds an unbounded quantifier the engine can backtrack into (a lookaround is atomic). */
function holdsUnbounded(node: Node): boolean {
  if (unbounded(node)) return true;
  if (node.kind === "repeat") return holdsUnbounded(node.node);
  if (node.kind === "group") return node.body.some((seq) => seq.some(holdsUnbounded));
  return false;
}

/**
 * Whether a sequence can match text made only of `chars` (so that it can occur again inside a
 * run of them). `^` and `$` in multiline mode need a line break; other assertions are taken to
 * hold.
 */
function canOccurWithin(sequence: readonly Node[], chars: Chars, multiline: boolean): boolean {
  return sequence.every((node) => {
    if (node.kind === "chars") return overlaps(node.chars, chars);
    if (node.kind === "assert") {
      // `^` alone holds only where the text begins; in multiline mode, after a line break.
      if (node.text === "^") return multiline && chars[10] === 1;
      if (node.text === "$") return !multiline || chars[10] === 1;
      return true;
    }
    if (node.kind === "repeat")
      return node.min === 0 || canOccurWithin([node.node], chars, multiline);
    return node.body.some((seq) => canOccurWithin(seq, chars, multiline));
  });
}

/**
 * A tempered loop, `(?:(?!X)c)*` followed by X: it stops at the first place X begins and
 * cannot be re-entered, so it is one pass.
 */
function isTemperedLoop(sequence: readonly Node[], index: number): boolean {
  const node = sequence[index]!;
  if (node.kind !== "repeat" || node.node.kind !== "group" || node.node.body.length !== 1)
    return false;
  const [guard, step, ...rest] = node.node.body[0]!;
  if (rest.length > 0 || guard?.kind !== "assert" || step?.kind !== "chars") return false;
  if (!guard.text.startsWith("(?!")) return false;
  const guarded = guard.text.slice(3, -1);
  const after = sequence
    .slice(index + 1)
    .map((n) => n.text)
    .join("");
  return after.startsWith(guarded);
}

/**
 * A quoted string's body between its quotes, `"(?:[^"]|"")*"` or `"(?:[^"\\]|\\.)*"`: a quote
 * inside it is escaped or ends it, so the opening quote of a later occurrence of the pattern
 * cannot lie inside it unless escaped, where the pattern's beginning (which does not end
 * with the escape) cannot match.
 */
function isStringBody(prefix: readonly Node[], node: Node, rest: readonly Node[]): boolean {
  if (node.kind !== "repeat") return false;
  const body = STRING_BODY.exec(node.node.text);
  const quote = body?.[1] ?? body?.[2];
  return quote !== undefined && prefix.at(-1)?.text === quote && rest[0]?.text === quote;
}

const STRING_BODY = /^\(\?:\[\^(["'`])\]\|\1\1\)$|^\(\?:\[\^(["'`])\\\\\]\|\\\\\.\)$/;

/** Nested and overlapping quantifiers, in a sequence and every group in it. */
function checkSequence(
  sequence: readonly Node[],
  report: (what: string) => void,
  multiline: boolean,
  inLoop = false,
): void {
  sequence.forEach((node, index) => {
    if (node.kind === "repeat" && node.max > 1 && holdsUnbounded(node.node)) {
      report(`nested: ${node.text} repeats a group that holds an unbounded quantifier`);
    }
    if (node.kind === "repeat")
      checkSequence([node.node], report, multiline, node.max > 1 || inLoop);
    if (node.kind === "group")
      for (const seq of node.body) checkSequence(seq, report, multiline, inLoop);
    if (node.kind === "assert" && node.body) {
      for (const seq of node.body) {
        checkSequence(seq, report, multiline);
        // In a loop, a lookaround is tried at every position, as an unanchored pattern is.
        if (inLoop) checkRestart(seq, [], [], report, multiline);
      }
    }
    if (!unbounded(node) || isTemperedLoop(sequence, index)) return;
    const chars = charsOf(node);
    for (let next = index + 1; next < sequence.length; next++) {
      const other = sequence[next]!;
      const overlapping = overlapIn(chars, sequence.slice(index + 1, next), other);
      if (overlapping)
        report(`overlap: ${node.text} and ${overlapping} can share the same characters`);
      if (!nullable(other) && !canOccurWithin([other], chars, false)) break;
    }
  });
}

/**
 * The unbounded quantifier in `node` (or `node` itself) that can take characters `chars`
 * could have taken, with only such characters (`between`) in between; undefined if none.
 */
function overlapIn(chars: Chars, between: readonly Node[], node: Node): string | undefined {
  if (unbounded(node)) {
    const shared = intersect(chars, charsOf(node));
    if (!isEmpty(shared) && canOccurWithin(between, shared, false)) return node.text;
  }
  const inner = node.kind === "repeat" ? node.node : node;
  if (inner.kind !== "group") return undefined;
  for (const seq of inner.body) {
    for (let k = 0; k < seq.length; k++) {
      const found = overlapIn(chars, [...between, ...seq.slice(0, k)], seq[k]!);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * An unanchored sequence: an unbounded quantifier whose run can hold the sequence's beginning
 * again, with something still to match after it.
 */
function checkRestart(
  sequence: readonly Node[],
  before: readonly Node[],
  after: readonly Node[],
  report: (what: string) => void,
  multiline: boolean,
): void {
  sequence.forEach((node, index) => {
    const prefix = [...before, ...sequence.slice(0, index)];
    const rest = [...sequence.slice(index + 1), ...after];
    if (node.kind === "group" || (node.kind === "assert" && node.body)) {
      // A lookaround's own rest is its body's: what follows it is matched separately.
      const outer = node.kind === "group" ? rest : [];
      for (const seq of node.body ?? []) checkRestart(seq, prefix, outer, report, multiline);
    }
    if (!unbounded(node) || isTemperedLoop([...sequence, ...after], index)) return;
    if (isStringBody(prefix, node, rest)) return;
    // Nothing left that can fail: the first run ends the match (an assertion can fail).
    if (rest.every((n) => n.kind !== "assert" && nullable(n))) return;
    if (canOccurWithin(prefix, charsOf(node), multiline)) {
      report(
        `restart: ${node.text} can run over the pattern's beginning again (${prefix.map((n) => n.text).join("") || "any position"}), so a line that almost matches is read once per occurrence`,
      );
    }
  });
}
