import { forEachLine, LineSplitter, MAX_LINE_CHARS } from "../../src/exec/output-lines.js";

/** The lines a splitter hands on for these chunks, stream end included. */
function split(chunks: string[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((text) => forEachLine(text, (line) => lines.push(line)));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
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
    const long = "x".repeat(MAX_LINE_CHARS);
    expect(split([long, long, "tail of the long line\nnext\n"])).toEqual([long, "next"]);
  });
});
