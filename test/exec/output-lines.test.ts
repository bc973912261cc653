import {
  forEachLine,
  LineSplitter,
  linesText,
  MAX_LINE_BYTES,
} from "../../src/exec/output-lines.js";

/** The lines a splitter hands on for these chunks, stream end included, read as text. */
function split(chunks: (string | Buffer)[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((bytes) =>
    forEachLine(linesText(bytes), (line) => lines.push(line)),
  );
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  splitter.end();
  return lines;
}

/** What a splitter hands on for these chunks, as it hands it on. */
function handedOn(chunks: (string | Buffer)[]): Buffer[] {
  const calls: Buffer[] = [];
  const splitter = new LineSplitter((bytes) => calls.push(Buffer.from(bytes)));
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  splitter.end();
  return calls;
}

describe("LineSplitter", () => {
  it("hands on whole lines, several per chunk, empty lines included", () => {
    expect(split(["one\ntwo\n\nthree\n"])).toEqual(["one", "two", "", "three"]);
  });

  it("joins a line split across chunks", () => {
    expect(split(["fir", "st li", "ne\nsec", "ond line\n"])).toEqual(["first line", "second line"]);
  });

  it("hands on a last line without a newline when the stream ends", () => {
    expect(split(["one\nno newline"])).toEqual(["one", "no newline"]);
  });

  it("ends lines at CRLF as at LF, even with the CR and LF in different chunks", () => {
    expect(split(["one\r\ntwo\r", "\nthree\r\n"])).toEqual(["one", "two", "three"]);
  });

  it("keeps a carriage return inside a line (a redrawn progress bar)", () => {
    expect(split(["10%\r50%\r100%\n"])).toEqual(["10%\r50%\r100%"]);
  });

  it("cuts a line longer than its limit and goes on with the next line whole", () => {
    const long = "x".repeat(MAX_LINE_BYTES);
    expect(split([long, long, "tail of the long line\nnext\n"])).toEqual([long, "next"]);
  });

  it("cuts a long line before a character, never inside one", () => {
    // "é" is two bytes: the limit falls between them.
    const long = `${"x".repeat(MAX_LINE_BYTES - 1)}é and more`;
    expect(split([long, "\n"])).toEqual(["x".repeat(MAX_LINE_BYTES - 1)]);
  });

  it("joins a character split across chunks", () => {
    const bytes = Buffer.from("café\n");
    expect(split([bytes.subarray(0, 4), bytes.subarray(4)])).toEqual(["café"]);
  });

  it("hands on the bytes as written, every line ending in a newline, the stream's last too", () => {
    const calls = handedOn(["one\r\ntw", "o\nthree"]).map((bytes) => bytes.toString());
    expect(calls).toEqual(["one\r\n", "two\n", "three\n"]);
  });
});
