/** Bytes kept of one line of output; the rest of a longer line is skipped. */
export const MAX_LINE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;

/** A back-pressure promise: more should wait until it settles. */
export type Wait = Promise<void> | undefined | void;
/** Receives whole lines (see LineSplitter); may ask for more to wait. */
export type OnLines = (lines: Buffer) => Wait;

/** One wait for both: the one there is, or both settled. */
export function bothSettled(a: Wait, b: Wait): Wait {
  return a && b ? Promise.all([a, b]).then(() => undefined) : (a ?? b);
}

/**
 * Cuts a stream's bytes, chunk by chunk, into whole lines. Each call to `onLines` gets one or
 * more whole lines as the command wrote them, each ending in "\n" (the last line of a stream
 * gets one at `end()`): one call per chunk, not one per line, since a call per line would cost
 * more than what is done with it. A line split across chunks is joined first (so a secret or a
 * UTF-8 character split across chunks is whole) and handed on by itself, so that the rest of
 * the chunk is handed on as it is, never copied. A line is cut at MAX_LINE_BYTES, at a
 * character boundary, so memory stays bounded whatever the command prints. What `onLines`
 * gets is valid only during the call (the chunk's buffer may be read into again): it copies
 * what it keeps. Whatever `onLines` returns (a back-pressure promise) `push` returns.
 */
export class LineSplitter {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private cut = false;

  constructor(private readonly onLines: OnLines) {}

  push(chunk: Buffer): Wait {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last === -1) {
      this.carry(chunk);
      return undefined;
    }
    let joined: Wait;
    let rest = 0;
    if (this.partialBytes > 0 || this.cut) {
      rest = chunk.indexOf(NEWLINE) + 1;
      this.carry(chunk.subarray(0, rest - 1));
      joined = this.end();
    }
    const lines = rest <= last ? this.onLines(chunk.subarray(rest, last + 1)) : undefined;
    this.carry(chunk.subarray(last + 1));
    return bothSettled(joined, lines);
  }

  /** The stream ended: its last line, if it had no newline, gets one. */
  end(): Wait {
    if (this.partialBytes === 0 && !this.cut) return undefined;
    const line = Buffer.concat([...this.partial, NEWLINE_BYTES]);
    this.partial = [];
    this.partialBytes = 0;
    this.cut = false;
    return this.onLines(line);
  }

  private carry(bytes: Buffer): void {
    if (this.cut || bytes.length === 0) return;
    const room = MAX_LINE_BYTES - this.partialBytes;
    if (bytes.length <= room) {
      // Copied: a chunk's buffer may be reused by whoever handed it on.
      this.partial.push(Buffer.from(bytes));
      this.partialBytes += bytes.length;
      return;
    }
    this.partial.push(Buffer.from(bytes.subarray(0, characterStart(bytes, room))));
    this.partialBytes = MAX_LINE_BYTES;
    this.cut = true;
  }
}

const NEWLINE_BYTES = Buffer.from("\n");

/** Where the UTF-8 character holding `bytes[at]` starts (`at` itself unless it continues one). */
function characterStart(bytes: Buffer, at: number): number {
  let start = at;
  while (start > 0 && at - start < 3 && (bytes[start]! & 0xc0) === 0x80) start--;
  return (bytes[start]! & 0xc0) === 0x80 ? at : start;
}

/**
 * Whole lines as LineSplitter hands them on, as text: joined by "\n", without the newline that
 * ends the last one, "\r\n" read as "\n" and invalid UTF-8 as U+FFFD.
 */
export function linesText(lines: Buffer): string {
  const text = lines.toString("utf8", 0, lines.length - 1);
  if (!text.includes("\r")) return text;
  const unix = text.replaceAll("\r\n", "\n");
  return unix.endsWith("\r") ? unix.slice(0, -1) : unix;
}

/** Calls `each` with every line of `lines` (whole lines joined by "\n"). */
export function forEachLine(lines: string, each: (line: string) => void): void {
  let start = 0;
  for (let end = lines.indexOf("\n"); end !== -1; end = lines.indexOf("\n", start)) {
    each(lines.slice(start, end));
    start = end + 1;
  }
  each(lines.slice(start));
}
