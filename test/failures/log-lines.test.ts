import { Readable } from "node:stream";
import { classifyLog } from "../../src/failures/classify.js";
import { logLines, MAX_READ_LINE_CHARS } from "../../src/failures/log-lines.js";

async function collect(chunks: (Uint8Array | string)[]): Promise<string[]> {
  const lines: string[] = [];
  for await (const run of logLines(Readable.from(chunks))) lines.push(...run.split("\n"));
  return lines;
}

describe("logLines", () => {
  it("splits across chunk boundaries, including inside a UTF-8 character", async () => {
    const bytes = Buffer.from("first ✘ line\nsecond\nlast");
    const at = bytes.indexOf(Buffer.from("✘")) + 1;
    expect(await collect([bytes.subarray(0, at), bytes.subarray(at)])).toEqual([
      "first ✘ line",
      "second",
      "last",
    ]);
  });

  it("yields whole lines only, one run per chunk", async () => {
    const runs: string[] = [];
    for await (const run of logLines(Readable.from(["a\nb\nc", "d\ne\n"]))) runs.push(run);
    expect(runs).toEqual(["a", "b", "cd", "e"]);
  });

  it("cuts an endless line and skips the rest of it", async () => {
    const chunk = "x".repeat(50_000);
    const lines = await collect([chunk, chunk, chunk, "\nnext\n"]);
    expect(lines.map((line) => line.length)).toEqual([MAX_READ_LINE_CHARS, 4]);
  });

  it("replaces invalid bytes instead of failing", async () => {
    expect(await collect([Buffer.from([0x66, 0xff, 0xfe, 0x0a, 0x67])])).toEqual([
      "f\ufffd\ufffd",
      "g",
    ]);
  });

  it("keeps line numbers exact through chunks and blank lines", async () => {
    const text = `${"noise\n\n".repeat(40_000)}Error: listen EADDRINUSE: address already in use\n`;
    const bytes = Buffer.from(text);
    const chunks = [];
    for (let at = 0; at < bytes.length; at += 65_536) chunks.push(bytes.subarray(at, at + 65_536));
    const result = await classifyLog({
      step: "start",
      exitCode: 1,
      log: logLines(Readable.from(chunks)),
    });
    expect(result.evidence).toEqual([
      { line: 80_001, text: "Error: listen EADDRINUSE: address already in use" },
    ]);
  });
});
