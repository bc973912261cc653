import type { EvidenceLine } from "./classification.js";
import { lineText, MAX_MATCHED_CHARS } from "./line-text.js";
import { type LiteralAutomaton, literalsIn } from "./literal-automaton.js";

/** A line that holds at least one literal: its number, its text (see lineText), which ones. */
export type OnLiteralLine = (line: number, text: string, literals: readonly number[]) => void;

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
export function createLogScanner(automaton: LiteralAutomaton, onLine: OnLiteralLine): LogScanner {
  const scan = new Scan(automaton, onLine);
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
  last: EvidenceLine | undefined;

  constructor(automaton: LiteralAutomaton, onLine: OnLiteralLine) {
    this.#automaton = automaton;
    this.#onLine = onLine;
  }

  write(bytes: Uint8Array): void {
    const chunk = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const { classOf, delta, acceptFrom, newlineState, escapeState } = this.#automaton;
    const hits = this.#hits;
    const n = chunk.length;
    const keptAtStart = this.#kept;
    // The hot loop keeps everything in locals; the line's fields are stored before a call.
    let s = this.#state;
    let line = this.#line;
    let kept = this.#kept;
    let carriedBytes = this.#carriedBytes;
    let hitCount = this.#hitCount;
    let asText = this.#asText;
    let start = 0;
    let i = 0;
    if (asText) i = skipLine(chunk, 0);
    for (; i < n; i++) {
      const next = delta[s + classOf[chunk[i]!]!]!;
      if (next < acceptFrom) {
        s = next;
        continue;
      }
      if (next === newlineState) {
        if (hitCount > 0 || asText) this.#emit(chunk, start, i, kept, line, hitCount, asText);
        hitCount = 0;
        asText = false;
        kept = 0;
        carriedBytes = 0;
        line++;
        start = i + 1;
        s = 0;
        continue;
      }
      if (next === escapeState) {
        const end = escapeEnd(chunk, i);
        // Not an escape: ESC is in no literal.
        if (end === -1) s = 0;
        // Removed by lineText: the automaton goes on as if it were not there.
        else if (end >= 0 && carriedBytes + end - start <= ESCAPE_EXACT_BYTES) i = end - 1;
        else {
          asText = true;
          i = skipLine(chunk, i) - 1;
        }
        continue;
      }
      if (hitCount === 0 || hits[hitCount - 1] !== next) {
        if (hitCount === MAX_LINE_HITS) {
          asText = true;
          i = skipLine(chunk, i) - 1;
          continue;
        }
        hits[hitCount++] = next;
      }
      s = next;
    }
    this.#state = s;
    this.#line = line;
    this.#hitCount = hitCount;
    this.#asText = asText;
    if (start > 0) this.#noteLastLine(chunk, start - 1, keptAtStart);
    // Keep the start of the unfinished line.
    const keep = Math.max(0, Math.min(n - start, KEPT_LINE_BYTES - kept));
    chunk.copy(this.#carried, kept, start, start + keep);
    this.#kept = kept + keep;
    this.#carriedBytes = carriedBytes + n - start;
  }

  end(): void {
    if (this.#carriedBytes === 0) return;
    const empty = Buffer.alloc(0);
    const line = this.#line;
    const text = this.#textOf(empty, 0, 0, this.#kept, line);
    if (this.#hitCount > 0 || this.#asText)
      this.#emit(empty, 0, 0, this.#kept, line, this.#hitCount, this.#asText);
    if (NOT_BLANK.test(text)) this.last = { line, text };
    this.#state = 0;
    this.#line++;
    this.#kept = 0;
    this.#carriedBytes = 0;
    this.#hitCount = 0;
    this.#asText = false;
  }

  /** Reports a line that ends at `chunk[end]` if it holds a literal. */
  #emit(
    chunk: Buffer,
    start: number,
    end: number,
    kept: number,
    line: number,
    hitCount: number,
    asText: boolean,
  ): void {
    const { literalsAt } = this.#automaton;
    const text = this.#textOf(chunk, start, end, kept, line);
    if (asText) {
      const literals = literalsIn(this.#automaton, text);
      if (literals.length > 0) this.#onLine(line, text, literals);
      return;
    }
    let literals = literalsAt.get(this.#hits[0]!)!;
    if (hitCount > 1) {
      const all = new Set<number>();
      for (let h = 0; h < hitCount; h++)
        for (const l of literalsAt.get(this.#hits[h]!)!) all.add(l);
      literals = [...all];
    }
    this.#onLine(line, text, literals);
  }

  /** A line's text: the `kept` bytes carried from earlier chunks, then `chunk[start, end)`. */
  #textOf(chunk: Buffer, start: number, end: number, kept: number, line: number): string {
    let text: string;
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
    return lineText(text);
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
