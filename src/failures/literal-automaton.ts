/**
 * Many literals looked for at once in one pass over UTF-8 bytes, ignoring ASCII case: an
 * Aho–Corasick automaton compiled to a DFA. Bytes are mapped to classes first (every byte no
 * literal holds is one class), so a state's row is a few dozen entries; a step is one table
 * read, `state = delta[state + classOf[byte]]`, with states stored premultiplied by the row
 * width. States are numbered so that every state a caller must look at (one where a literal
 * ends, and the two pseudo-states a newline and an escape byte lead to) is >= `acceptFrom`:
 * a scanning loop tests one number per byte.
 */
export type LiteralAutomaton = {
  /** Byte → class. */
  readonly classOf: Uint8Array;
  /** Classes, the length of a row. */
  readonly width: number;
  /** (state + class) → next state, states premultiplied by `width`; the start state is 0. */
  readonly delta: Int32Array;
  /** States from here on end a literal (or are `newlineState` or `escapeState`). */
  readonly acceptFrom: number;
  /** The state any state goes to on "\n" (its row is the start state's). */
  readonly newlineState: number;
  /** The state any state goes to on ESC (its row is the start state's). */
  readonly escapeState: number;
  /** For a state ≥ acceptFrom (premultiplied), the literals that end there, by index. */
  readonly literalsAt: ReadonlyMap<number, readonly number[]>;
};

const NEWLINE = 0x0a;
const ESC = 0x1b;

/** Builds the automaton of these literals (none empty, none holding "\n" or ESC). */
export function buildLiteralAutomaton(literals: readonly string[]): LiteralAutomaton {
  const keys = literals.map((literal) => {
    const bytes = Buffer.from(literal, "utf8").map(foldByte);
    if (bytes.length === 0 || bytes.includes(NEWLINE) || bytes.includes(ESC))
      throw new Error(`not a literal the automaton can look for: ${JSON.stringify(literal)}`);
    return bytes;
  });

  // Class 0: bytes in no literal; then one class per byte a literal holds (both cases of a
  // letter sharing one); the last two: newline and escape.
  const classOf = new Uint8Array(256);
  let width = 1;
  for (const key of keys) {
    for (const byte of key) {
      if (classOf[byte] !== 0) continue;
      classOf[byte] = width;
      if (byte >= 0x61 && byte <= 0x7a) classOf[byte - 0x20] = width;
      width++;
    }
  }
  const newlineClass = width++;
  const escapeClass = width++;
  classOf[NEWLINE] = newlineClass;
  classOf[ESC] = escapeClass;

  // The trie, with each state's literals.
  const trie: Int32Array[] = [new Int32Array(width).fill(-1)];
  const ending: number[][] = [[]];
  keys.forEach((key, index) => {
    let state = 0;
    for (const byte of key) {
      const c = classOf[byte]!;
      let next = trie[state]![c]!;
      if (next === -1) {
        next = trie.length;
        trie.push(new Int32Array(width).fill(-1));
        ending.push([]);
        trie[state]![c] = next;
      }
      state = next;
    }
    ending[state]!.push(index);
  });

  // Breadth first: each state's missing moves are those of its longest proper suffix in the
  // trie, and it ends that suffix's literals too.
  const goto = trie.map((row) => Int32Array.from(row));
  const fail = new Int32Array(trie.length);
  const queue: number[] = [];
  for (let c = 0; c < width; c++) {
    const next = trie[0]![c]!;
    if (next === -1) goto[0]![c] = 0;
    else queue.push(next);
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!;
    const suffix = fail[state]!;
    ending[state]!.push(...ending[suffix]!);
    for (let c = 0; c < width; c++) {
      const next = trie[state]![c]!;
      if (next === -1) goto[state]![c] = goto[suffix]![c]!;
      else {
        fail[next] = goto[suffix]![c]!;
        queue.push(next);
      }
    }
  }

  // Renumber: states that end no literal first (the start state stays 0), then the others.
  const order = [
    ...ending.flatMap((ends, state) => (ends.length === 0 ? [state] : [])),
    ...ending.flatMap((ends, state) => (ends.length > 0 ? [state] : [])),
  ];
  const number = new Int32Array(trie.length);
  order.forEach((state, at) => {
    number[state] = at;
  });
  const states = trie.length;
  const acceptFrom = ending.filter((ends) => ends.length === 0).length * width;
  const newlineState = states * width;
  const escapeState = (states + 1) * width;
  const delta = new Int32Array((states + 2) * width);
  const literalsAt = new Map<number, readonly number[]>();
  order.forEach((state, at) => {
    for (let c = 0; c < width; c++) delta[at * width + c] = number[goto[state]![c]!]! * width;
    delta[at * width + newlineClass] = newlineState;
    delta[at * width + escapeClass] = escapeState;
    const ends = ending[state]!;
    if (ends.length > 0)
      literalsAt.set(
        at * width,
        [...new Set(ends)].sort((a, b) => a - b),
      );
  });
  delta.copyWithin(newlineState, 0, width);
  delta.copyWithin(escapeState, 0, width);
  return { classOf, width, delta, acceptFrom, newlineState, escapeState, literalsAt };
}

/** The literals a text holds (its UTF-8 bytes, ASCII case ignored), by index, ascending. */
export function literalsIn(automaton: LiteralAutomaton, text: string): number[] {
  const { classOf, delta, acceptFrom, newlineState, literalsAt } = automaton;
  const found = new Set<number>();
  let state = 0;
  const step = (byte: number) => {
    state = delta[state + classOf[byte]!]!;
    if (state < acceptFrom) return;
    // "\n" and ESC are in no literal: from them, the scan starts afresh.
    if (state >= newlineState) state = 0;
    else for (const literal of literalsAt.get(state)!) found.add(literal);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) step(c);
    else if (c < 0x800) {
      step(0xc0 | (c >> 6));
      step(0x80 | (c & 0x3f));
    } else if (c >= 0xd800 && c < 0xdc00 && isLowSurrogate(text.charCodeAt(i + 1))) {
      const point = text.codePointAt(i++)!;
      step(0xf0 | (point >> 18));
      step(0x80 | ((point >> 12) & 0x3f));
      step(0x80 | ((point >> 6) & 0x3f));
      step(0x80 | (point & 0x3f));
    } else {
      // A lone surrogate is encoded as U+FFFD, as Buffer.from and TextEncoder do.
      const unit = c >= 0xd800 && c < 0xe000 ? 0xfffd : c;
      step(0xe0 | (unit >> 12));
      step(0x80 | ((unit >> 6) & 0x3f));
      step(0x80 | (unit & 0x3f));
    }
  }
  return [...found].sort((a, b) => a - b);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c < 0xe000;
}

function foldByte(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
}
