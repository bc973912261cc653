/** Characters kept of one line of output; the rest of a longer line is skipped. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Cuts a stream's text, chunk by chunk, into whole lines. Each call to `onLines` gets one or
 * more whole lines joined by "\n", without the newline that ended the last one: one call per
 * chunk, not one per line, since a call per line would cost more than what is done with it.
 * A line split across chunks is joined first (so a secret split across chunks is whole when
 * it is redacted), "\r\n" ends a line as "\n" does, a last line without a newline comes with
 * `end()`, and a line is cut at MAX_LINE_CHARS so memory stays bounded whatever the command
 * prints. Whatever `onLines` returns (a back-pressure promise) `push` returns.
 */
export class LineSplitter<R> {
  private partial = "";
  private cut = false;

  constructor(private readonly onLines: (lines: string) => R) {}

  push(text: string): R | undefined {
    const last = text.lastIndexOf("\n");
    if (last === -1) {
      this.carry(text);
      return undefined;
    }
    let lines: string;
    if (this.partial === "") {
      lines = text.slice(0, last);
    } else {
      const first = text.indexOf("\n");
      this.carry(text.slice(0, first));
      lines = last > first ? `${this.partial}\n${text.slice(first + 1, last)}` : this.partial;
    }
    this.partial = "";
    this.cut = false;
    this.carry(text.slice(last + 1));
    return this.emit(lines);
  }

  /** The stream ended: its last line, if it had no newline. */
  end(): R | undefined {
    const rest = this.partial;
    this.partial = "";
    this.cut = false;
    return rest === "" ? undefined : this.emit(rest);
  }

  private carry(text: string): void {
    if (this.cut || text === "") return;
    this.partial +=
      text.length > MAX_LINE_CHARS - this.partial.length
        ? text.slice(0, MAX_LINE_CHARS - this.partial.length)
        : text;
    this.cut = this.partial.length >= MAX_LINE_CHARS;
  }

  private emit(lines: string): R {
    if (!lines.includes("\r")) return this.onLines(lines);
    const unix = lines.replaceAll("\r\n", "\n");
    return this.onLines(unix.endsWith("\r") ? unix.slice(0, -1) : unix);
  }
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
