/**
 * Many literals looked for at once in one pass over UTF-8 bytes, ignoring ASCII case: an
 * Aho–Corasick automaton compiled to a DFA. Bytes are mapped to classes first (every byte no
 * literal holds is one class), so a state's row is a few dozen entries; a step is one table
 * read, `state = delta[state + classOf[byte]]`, with states stored premultiplied by the row
 * width. States are numbered so that every state a caller must look at (one where a literal
 * ends, and the pseudo-state an escape byte leads to) is >= `acceptFrom`: a scanning loop
 * tests one number per byte. A newline leads back to the start state (no literal spans lines).
 */
export type LiteralAutomaton = {
  /** Byte → class. */
  readonly classOf: Uint8Array;
  /** Classes, the length of a row. */
  readonly width: number;
  /** (state + class) → next state, states premultiplied by `width`; the start state is 0. */
  readonly delta: Int32Array;
  /** States from here on end a literal (or are `escapeState`). */
  readonly acceptFrom: number;
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

  // The trie, flat: row `state` holds each class's child, or -1; then each state's literals.
  const maxStates = keys.reduce((sum, key) => sum + key.length, 1);
  const table = new Int32Array(maxStates * width).fill(-1);
  const ending: (number[] | undefined)[] = [];
  let states = 1;
  keys.forEach((key, index) => {
    let state = 0;
    for (const byte of key) {
      const at = state * width + classOf[byte]!;
      if (table[at] === -1) table[at] = states++;
      state = table[at]!;
    }
    const ends = ending[state] ?? [];
    ends.push(index);
    ending[state] = ends;
  });

  // Breadth first, the table becomes the DFA: each state's missing moves are those of its
  // longest proper suffix in the trie, and it ends that suffix's literals too.
  const fail = new Int32Array(states);
  const queue = new Int32Array(states);
  let tail = 0;
  for (let c = 0; c < width; c++) {
    const child = table[c]!;
    if (child === -1) table[c] = 0;
    else queue[tail++] = child;
  }
  for (let head = 0; head < tail; head++) {
    const state = queue[head]!;
    const suffix = fail[state]!;
    const inherited = ending[suffix];
    if (inherited) ending[state] = [...(ending[state] ?? []), ...inherited];
    tail = completeRow(table, state * width, suffix * width, width, fail, queue, tail);
  }

  // Renumber: states that end no literal first (the start state stays 0), then the others.
  const number = new Int32Array(states);
  let next = 0;
  for (let state = 0; state < states; state++) if (!ending[state]) number[state] = next++;
  const acceptFrom = next * width;
  for (let state = 0; state < states; state++) if (ending[state]) number[state] = next++;
  const escapeState = states * width;
  const delta = new Int32Array((states + 1) * width);
  const literalsAt = new Map<number, readonly number[]>();
  for (let state = 0; state < states; state++) {
    const row = number[state]! * width;
    renumberRow(delta, row, table, state * width, width, number);
    delta[row + newlineClass] = 0;
    delta[row + escapeClass] = escapeState;
    const ends = ending[state];
    if (ends)
      literalsAt.set(
        row,
        [...new Set(ends)].sort((a, b) => a - b),
      );
  }
  delta.copyWithin(escapeState, 0, width);
  return { classOf, width, delta, acceptFrom, escapeState, literalsAt };
}

// The two loops over every cell of the table, as functions: called once a state, they are
// soon compiled, where one loop over all cells would run uncompiled for most of its length.

/** Fills a state's missing moves from its suffix's row, and queues its children. */
function completeRow(
  table: Int32Array,
  row: number,
  suffixRow: number,
  width: number,
  fail: Int32Array,
  queue: Int32Array,
  tail: number,
): number {
  for (let c = 0; c < width; c++) {
    const child = table[row + c]!;
    if (child === -1) table[row + c] = table[suffixRow + c]!;
    else {
      fail[child] = table[suffixRow + c]!;
      queue[tail++] = child;
    }
  }
  return tail;
}

/** Copies a row of the table into delta, its states renumbered and premultiplied. */
function renumberRow(
  delta: Int32Array,
  row: number,
  table: Int32Array,
  from: number,
  width: number,
  number: Int32Array,
): void {
  for (let c = 0; c < width; c++) delta[row + c] = number[table[from + c]!]! * width;
}

/** The literals a text holds (its UTF-8 bytes, ASCII case ignored), by index, ascending. */
export function literalsIn(automaton: LiteralAutomaton, text: string): number[] {
  const { classOf, delta, acceptFrom, escapeState, literalsAt } = automaton;
  const found = new Set<number>();
  let state = 0;
  const step = (byte: number) => {
    state = delta[state + classOf[byte]!]!;
    if (state < acceptFrom) return;
    // ESC is in no literal: from it, the scan starts afresh.
    if (state === escapeState) state = 0;
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
