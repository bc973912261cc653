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
  const splitter = new LineSplitter((bytes) => {
    calls.push(Buffer.from(bytes));
  });
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

  it("hands on a line joined across chunks by itself, and the rest of the chunk as it is", () => {
    const rest = Buffer.from("-half\nwhole one\nwhole two\npart");
    const calls: Buffer[] = [];
    const splitter = new LineSplitter((bytes) => {
      calls.push(bytes);
    });
    splitter.push(Buffer.from("first"));
    splitter.push(rest);
    expect(calls.map(String)).toEqual(["first-half\n", "whole one\nwhole two\n"]);
    // A view of the chunk, not a copy of it: a chunk of megabytes is never copied.
    expect(calls[1]!.buffer).toBe(rest.buffer);
  });

  it("waits for both when a joined line and the rest of its chunk each ask to wait", async () => {
    const releases: (() => void)[] = [];
    const splitter = new LineSplitter(() => new Promise<void>((resolve) => releases.push(resolve)));
    splitter.push(Buffer.from("a"));
    let settled = false;
    const wait = splitter.push(Buffer.from("b\nc\n"));
    void wait?.then(() => {
      settled = true;
    });
    expect(releases).toHaveLength(2);
    releases[1]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    releases[0]!();
    await wait;
    expect(settled).toBe(true);
  });

  it("hands on the bytes as written, every line ending in a newline, the stream's last too", () => {
    const calls = handedOn(["one\r\ntw", "o\nthree"]).map((bytes) => bytes.toString());
    expect(calls).toEqual(["one\r\n", "two\n", "three\n"]);
  });
});
