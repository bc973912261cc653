/** Characters kept of one line read from a stream; the classifier reads far fewer. */
export const MAX_READ_LINE_CHARS = 64 * 1024;

/**
 * The lines of a byte stream (a log file, stdin), decoded as UTF-8 with invalid bytes replaced.
 * Each string yielded holds one or more whole lines joined by "\n" (one per chunk read, not
 * one per line: a promise per line would cost more than classifying it). A line carried over
 * chunks is cut at MAX_READ_LINE_CHARS and the rest of it skipped, so memory stays bounded
 * even for a log that is one 200 MB line.
 */
export async function* logLines(
  source: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let partial = "";
  let cut = false;
  const carry = (text: string) => {
    if (cut) return;
    partial += text.slice(0, MAX_READ_LINE_CHARS - partial.length);
    cut = partial.length >= MAX_READ_LINE_CHARS;
  };
  for await (const chunk of source) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    const first = text.indexOf("\n");
    if (first === -1) {
      carry(text);
      continue;
    }
    carry(text.slice(0, first));
    yield partial;
    const last = text.lastIndexOf("\n");
    if (last > first) yield text.slice(first + 1, last);
    partial = "";
    cut = false;
    carry(text.slice(last + 1));
  }
  carry(decoder.decode());
  if (partial !== "") yield partial;
}
