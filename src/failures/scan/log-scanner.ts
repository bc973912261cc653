import type { EvidenceLine } from "../classification.js";
import { lineWithoutPrefix, MAX_MATCHED_CHARS, terminalText } from "./line-text.js";
import { type LiteralAutomaton, literalsIn } from "./literal-automaton.js";

/** A line that holds at least one literal: its number, its text (see lineText), which ones. */
export type OnLiteralLine = (line: number, text: string, literals: readonly number[]) => void;

/**
 * What a line's decoded text becomes before lineText reads it (secrets out, say). `cut`: the
 * text is the start of a longer line, so it may end in part of something longer.
 */
export type RedactText = (text: string, cut: boolean) => string;

export type LogScanner = {
  /** The next bytes of the log, split anywhere (inside a line, inside a UTF-8 character). */
  write(chunk: Uint8Array): void;
  /** The log has ended: its last line, if it has no newline, is a line too. */
  end(): void;
  /** The last line whose text is not blank (of those ended so far), as lineText gives it. */
  lastLine(): EvidenceLine | undefined;
};

// The bytes of a line kept to read its text: lineText reads 2 * MAX_MATCHED_CHARS UTF-16
// units, a unit takes at most 3 bytes (a 4-byte character is 2 units), and the last character
// kept may be cut.
const KEPT_LINE_BYTES = 2 * MAX_MATCHED_CHARS * 3 + 8;
// An escape that ends beyond this byte of its line may be cut by lineText: the line is read
// as text instead.
const ESCAPE_EXACT_BYTES = 2 * MAX_MATCHED_CHARS;
// Literal ends recorded per line; a line with more is read as text.
const MAX_LINE_HITS = 32;
// Sets of literals a line's hit states make, remembered.
const MAX_HIT_SETS = 4096;
const NEWLINE = 0x0a;
const ESC = 0x1b;
const NOT_BLANK = /\S/;

/**
 * Scans a log's bytes once with the automaton and reports each line that holds one of its
 * literals: the same lines, numbered and with the same text, as splitting the decoded log
 * into lines, applying lineText and looking for the literals in each. Only those lines (and,
 * at the end of each chunk, the last non-blank one) are decoded. ANSI escapes are skipped as
 * lineText removes them, so a literal they split is found; a line where that cannot be
 * decided from its bytes as they come (an escape split across chunks, or beyond where
 * lineText cuts) is decoded and its text scanned instead. Memory: one line's first
 * KEPT_LINE_BYTES, whatever the length of the log or of its lines.
 */
export function createLogScanner(
  automaton: LiteralAutomaton,
  onLine: OnLiteralLine,
  redact?: RedactText,
): LogScanner {
  const scan = new Scan(automaton, onLine, redact);
  return {
    write: (chunk) => scan.write(chunk),
    end: () => scan.end(),
    lastLine: () => scan.last,
  };
}

class Scan {
  readonly #automaton: LiteralAutomaton;
  readonly #onLine: OnLiteralLine;
  /** The automaton's state (premultiplied) after the last byte read. */
  #state = 0;
  /** The number of the line being read. */
  #line = 1;
  /** The first bytes of the line being read that came in earlier chunks, and how many came. */
  readonly #carried = Buffer.alloc(KEPT_LINE_BYTES);
  #kept = 0;
  #carriedBytes = 0;
  /** The literal-ending states met in the line being read. */
  readonly #hits = new Int32Array(MAX_LINE_HITS);
  #hitCount = 0;
  /** The line being read must be decoded and its text scanned. */
  #asText = false;
  /** What run() and #skipEscape give besides their result. */
  readonly #stop = new Int32Array(3);
  #resume = 0;
  /** The last line #textOf read had a prefix taken off. */
  #prefixed = false;
  last: EvidenceLine | undefined;

  readonly #redact: RedactText | undefined;
  readonly #hitSets = new Map<number | string, readonly number[]>();

  constructor(automaton: LiteralAutomaton, onLine: OnLiteralLine, redact: RedactText | undefined) {
    this.#automaton = automaton;
    this.#onLine = onLine;
    this.#redact = redact;
  }

  write(bytes: Uint8Array): void {
    const chunk = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const { classOf, delta, acceptFrom, escapeState } = this.#automaton;
    const stop = this.#stop;
    const n = chunk.length;
    // The carried bytes begin the chunk's first line; they are dropped once it ends.
    const firstLine = this.#line;
    const keptAtStart = this.#kept;
    let line = firstLine;
    let s = this.#state;
    let i = 0;
    while (i < n) {
      if (this.#hitCount > 0 || this.#asText) {
        // The rest of a line that holds a literal: up to its end, then report it.
        const lineEnd = skipLine(chunk, i);
        if (!this.#asText) s = this.#scanLine(chunk, i, lineEnd, s, line, firstLine);
        if (lineEnd === n) break;
        const start = line === firstLine ? 0 : chunk.lastIndexOf(NEWLINE, lineEnd - 1) + 1;
        this.#emit(chunk, start, lineEnd, line === firstLine ? keptAtStart : 0, line);
        this.#hitCount = 0;
        this.#asText = false;
        line++;
        s = 0;
        i = lineEnd + 1;
        continue;
      }
      // Lines that hold no literal, as fast as it goes: most of a log.
      i = run(chunk, i, n, s, delta, classOf, acceptFrom, stop);
      line += stop[LINES]!;
      s = stop[STATE]!;
      if (i === n) break;
      if (s === escapeState) {
        s = this.#skipEscape(chunk, i, line, firstLine);
        i = this.#resume;
      } else {
        this.#hits[0] = s;
        this.#hitCount = 1;
        i++;
      }
    }
    this.#state = s;
    this.#line = line;
    const lastNewline = line > firstLine ? chunk.lastIndexOf(NEWLINE, n - 1) : -1;
    if (lastNewline >= 0) {
      this.#noteLastLine(chunk, lastNewline, keptAtStart);
      this.#kept = 0;
      this.#carriedBytes = 0;
    }
    // Keep the start of the unfinished line.
    const start = lastNewline + 1;
    const keep = Math.max(0, Math.min(n - start, KEPT_LINE_BYTES - this.#kept));
    chunk.copy(this.#carried, this.#kept, start, start + keep);
    this.#kept += keep;
    this.#carriedBytes += n - start;
  }

  /** Reads `chunk[i, end)`, the rest of a line that holds a literal, noting what it finds. */
  #scanLine(chunk: Buffer, i: number, end: number, s: number, line: number, first: number) {
    const { classOf, delta, acceptFrom, escapeState } = this.#automaton;
    const stop = this.#stop;
    const hits = this.#hits;
    while (i < end && !this.#asText) {
      i = run(chunk, i, end, s, delta, classOf, acceptFrom, stop);
      s = stop[STATE]!;
      if (i === end) break;
      if (s === escapeState) {
        s = this.#skipEscape(chunk, i, line, first);
        i = this.#resume;
        continue;
      }
      if (hits[this.#hitCount - 1] !== s) {
        if (this.#hitCount === MAX_LINE_HITS) this.#asText = true;
        else hits[this.#hitCount++] = s;
      }
      i++;
    }
    return s;
  }

  /**
   * At an ESC: the state to go on from, and where (in #resume). An escape lineText removes is
   * skipped, as if it were not there; a lone ESC is in no literal; where that cannot be told
   * from the bytes at hand, the line is to be read as text.
   */
  #skipEscape(chunk: Buffer, at: number, line: number, firstLine: number): number {
    const end = escapeEnd(chunk, at);
    this.#resume = at + 1;
    if (end === -1) return 0;
    const start = line === firstLine ? -this.#carriedBytes : chunk.lastIndexOf(NEWLINE, at) + 1;
    if (end >= 0 && end - start <= ESCAPE_EXACT_BYTES) {
      this.#resume = end;
      return this.#stop[BEFORE]!;
    }
    this.#asText = true;
    return 0;
  }

  end(): void {
    if (this.#carriedBytes === 0) return;
    const empty = Buffer.alloc(0);
    const line = this.#line;
    const text = this.#textOf(empty, 0, 0, this.#kept, line);
    if (this.#hitCount > 0 || this.#asText) this.#emit(empty, 0, 0, this.#kept, line);
    if (NOT_BLANK.test(text)) this.last = { line, text };
    this.#state = 0;
    this.#line++;
    this.#kept = 0;
    this.#carriedBytes = 0;
    this.#hitCount = 0;
    this.#asText = false;
  }

  /** Reports a line that ends at `chunk[end]` if it holds a literal. */
  #emit(chunk: Buffer, start: number, end: number, kept: number, line: number): void {
    const { literalsAt } = this.#automaton;
    const hitCount = this.#hitCount;
    const text = this.#textOf(chunk, start, end, kept, line);
    // The literals of a prefix taken off (a timestamp, a shipper's tag) are not the line's.
    if (this.#asText || this.#prefixed) {
      const literals = literalsIn(this.#automaton, text);
      if (literals.length > 0) this.#onLine(line, text, literals);
      return;
    }
    const literals =
      hitCount === 1 ? literalsAt.get(this.#hits[0]!)! : this.#literalsOfHits(hitCount);
    this.#onLine(line, text, literals);
  }

  /** The literals that end in the line's hit states, ascending (lines repeat a few sets). */
  #literalsOfHits(hitCount: number): readonly number[] {
    const hits = this.#hits;
    const key =
      hitCount === 2 ? hits[0]! * 2 ** 21 + hits[1]! : hits.subarray(0, hitCount).join(",");
    let literals = this.#hitSets.get(key);
    if (!literals) {
      const { literalsAt } = this.#automaton;
      const all = new Set<number>();
      for (let h = 0; h < hitCount; h++) for (const l of literalsAt.get(hits[h]!)!) all.add(l);
      literals = [...all].sort((a, b) => a - b);
      if (this.#hitSets.size >= MAX_HIT_SETS) this.#hitSets.clear();
      this.#hitSets.set(key, literals);
    }
    return literals;
  }

  /** A line's text: the `kept` bytes carried from earlier chunks, then `chunk[start, end)`. */
  #textOf(chunk: Buffer, start: number, end: number, kept: number, line: number): string {
    let text: string;
    const carried = kept === 0 ? 0 : this.#carriedBytes;
    // Invalid bytes become U+FFFD, as TextDecoder does.
    if (kept === 0) text = chunk.toString("utf8", start, Math.min(end, start + KEPT_LINE_BYTES));
    else {
      // After the bytes kept, which stay as they are.
      const more = Math.min(end - start, KEPT_LINE_BYTES - kept);
      chunk.copy(this.#carried, kept, start, start + more);
      text = this.#carried.toString("utf8", 0, kept + more);
    }
    // A decoder reading the whole stream drops a byte order mark at its very start.
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (this.#redact) text = this.#redact(text, carried + end - start > KEPT_LINE_BYTES);
    const terminal = terminalText(text);
    const rest = lineWithoutPrefix(terminal);
    this.#prefixed = rest.length < terminal.length;
    return rest;
  }

  /**
   * Notes the last non-blank line of those that ended in this chunk, looking back from its
   * last newline; the first of them began with the `kept` bytes carried.
   */
  #noteLastLine(chunk: Buffer, lastNewline: number, kept: number): void {
    let line = this.#line - 1;
    for (let end = lastNewline; ; line--) {
      const start = end === 0 ? 0 : chunk.lastIndexOf(NEWLINE, end - 1) + 1;
      const first = start === 0;
      const carried = first ? kept : 0;
      if (hasInk(chunk, start, end) || hasInk(this.#carried, 0, carried)) {
        const text = this.#textOf(chunk, start, end, carried, line);
        if (NOT_BLANK.test(text)) {
          this.last = { line, text };
          return;
        }
      }
      if (first) return;
      end = start - 1;
    }
  }
}

const STATE = 0;
const BEFORE = 1;
const LINES = 2;
const IS_NEWLINE = Uint8Array.from({ length: 256 }, (_, byte) => (byte === NEWLINE ? 1 : 0));

/**
 * The automaton from state `s` over `chunk[i, end)`, up to the first state ≥ acceptFrom: the
 * hot loop, kept apart so that it compiles to a few instructions a byte. Returns where it
 * stopped (`end` if it did not), and puts in `stop` the state there, the one before it, and
 * the newlines passed.
 */
function run(
  chunk: Buffer,
  i: number,
  end: number,
  s: number,
  delta: Int32Array,
  classOf: Uint8Array,
  acceptFrom: number,
  stop: Int32Array,
): number {
  let lines = 0;
  for (; i < end; i++) {
    const byte = chunk[i]!;
    const next = delta[s + classOf[byte]!]!;
    lines += IS_NEWLINE[byte]!;
    if (next >= acceptFrom) {
      stop[STATE] = next;
      stop[BEFORE] = s;
      stop[LINES] = lines;
      return i;
    }
    s = next;
  }
  stop[STATE] = s;
  stop[LINES] = lines;
  return end;
}

/** Where the line holding `chunk[at]` ends: its newline, or the end of the chunk. */
function skipLine(chunk: Buffer, at: number): number {
  const end = chunk.indexOf(NEWLINE, at);
  return end === -1 ? chunk.length : end;
}

/**
 * Where the escape at `chunk[at]` ends, as lineText's pattern matches it; -1 if no escape
 * starts there, -2 if the chunk ends before that is known.
 */
function escapeEnd(chunk: Buffer, at: number): number {
  const n = chunk.length;
  let i = at + 1;
  if (i >= n) return -2;
  const kind = chunk[i]!;
  if (kind === 0x5b) {
    // CSI: parameters 0x30–0x3f, intermediates 0x20–0x2f, a final byte 0x40–0x7e.
    i++;
    while (i < n && chunk[i]! >= 0x30 && chunk[i]! <= 0x3f) i++;
    while (i < n && chunk[i]! >= 0x20 && chunk[i]! <= 0x2f) i++;
    if (i >= n) return -2;
    return chunk[i]! >= 0x40 && chunk[i]! <= 0x7e ? i + 1 : -1;
  }
  if (kind === 0x5d) {
    // OSC: up to BEL or ESC \; without one, `ESC ]` is a two-byte escape.
    for (i++; i < n; i++) {
      const b = chunk[i]!;
      if (b === 0x07) return i + 1;
      if (b === NEWLINE) return at + 2;
      if (b === ESC) {
        if (i + 1 >= n) return -2;
        return chunk[i + 1] === 0x5c ? i + 2 : at + 2;
      }
    }
    return -2;
  }
  return (kind >= 0x40 && kind <= 0x5a) || (kind >= 0x5c && kind <= 0x5f) ? i + 1 : -1;
}

/** Whether `bytes[start, end)` holds anything but ASCII blanks (a line of them is blank). */
function hasInk(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && (b < 0x09 || b > 0x0d)) return true;
  }
  return false;
}
