import { lineText } from "../../../src/failures/scan/line-text.js";
import {
  buildLiteralAutomaton,
  type LiteralAutomaton,
  literalsIn,
} from "../../../src/failures/scan/literal-automaton.js";
import { createLogScanner } from "../../../src/failures/scan/log-scanner.js";
import { RULE_LITERALS } from "../../../src/failures/scan/match-line.js";
import { readCorpus } from "../../helpers/failure-corpus.js";

type Reported = { line: number; text: string; literals: number[] };

/** What the scanner must report: the log decoded whole, split into lines, each read alone. */
function expected(automaton: LiteralAutomaton, bytes: Uint8Array) {
  const lines = new TextDecoder().decode(bytes).split("\n");
  if (lines.at(-1) === "") lines.pop();
  const reported: Reported[] = [];
  let last: { line: number; text: string } | undefined;
  lines.forEach((raw, index) => {
    const text = lineText(raw);
    const literals = literalsIn(automaton, text);
    if (literals.length > 0) reported.push({ line: index + 1, text, literals });
    if (/\S/.test(text)) last = { line: index + 1, text };
  });
  return { reported, last };
}

function scanned(automaton: LiteralAutomaton, chunks: readonly Uint8Array[]) {
  const reported: Reported[] = [];
  const scanner = createLogScanner(automaton, (line, text, literals) => {
    reported.push({ line, text, literals: [...literals].sort((a, b) => a - b) });
  });
  for (const chunk of chunks) scanner.write(chunk);
  scanner.end();
  return { reported, last: scanner.lastLine() };
}

/** The bytes cut at the given offsets. */
function cut(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const points = [0, ...at, bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

function randomCuts(bytes: Uint8Array, count: number, seed: number): Uint8Array[] {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x;
  };
  const at = Array.from({ length: count }, () => next() % (bytes.length + 1)).sort((a, b) => a - b);
  return cut(bytes, at);
}

const SMALL = buildLiteralAutomaton(["error:", "err", "✘ [error]", "bom", "done"]);

// Lines that test what lineText does to bytes: escapes (a literal split by one), redraws,
// a byte order mark, invalid UTF-8, multibyte characters.
const TRICKY = Buffer.concat([
  Buffer.from("\ufeffbom first\n"),
  Buffer.from("plain line\n\n   \n"),
  Buffer.from("\x1b[31mErr\x1b[0mor: split by colours\n"),
  Buffer.from("\x1b]8;;https://x.test\x07link\x1b]8;;\x07 then error: after a link\n"),
  Buffer.from("\x1b]8;;unterminated error: osc\n"),
  Buffer.from("lone \x1b escape ERR\x1bZOR: two-byte escape\n"),
  Buffer.from("\x1b[1;2 xnot csi error: \x1b[12\n"),
  Buffer.from("progress 10%\rprogress 100%\rERROR: redrawn\r\n"),
  Buffer.from([0x66, 0xff, 0xfe, 0x20, 0x65, 0x72, 0x72, 0x6f, 0x72, 0x3a, 0x0a]),
  Buffer.from("✘ [ERROR] esbuild ✘\n"),
  Buffer.from("\x1b[0m\n"),
  Buffer.from("\x1b[2K"),
]);

describe("the log scanner", () => {
  it("reports the lines, numbers and texts that reading the lines one by one gives", () => {
    const want = expected(SMALL, TRICKY);
    expect(want.reported.length).toBeGreaterThan(8);
    expect(scanned(SMALL, [TRICKY])).toEqual(want);
  });

  it("gives the same at every chunk boundary: inside a literal, an escape, a character", () => {
    const want = expected(SMALL, TRICKY);
    for (let at = 0; at <= TRICKY.length; at++) {
      expect([at, scanned(SMALL, cut(TRICKY, [at]))]).toEqual([at, want]);
    }
    for (let seed = 1; seed <= 200; seed++) {
      expect([seed, scanned(SMALL, randomCuts(TRICKY, 6, seed))]).toEqual([seed, want]);
    }
    const bytes = [...TRICKY].map((byte) => Uint8Array.of(byte));
    expect(scanned(SMALL, bytes)).toEqual(want);
  });

  it("finds a literal in the last line of a log without a trailing newline", () => {
    const bytes = Buffer.from("one\ntwo\nit is done");
    expect(scanned(SMALL, cut(bytes, [15]))).toEqual({
      reported: [{ line: 3, text: "it is done", literals: [4] }],
      last: { line: 3, text: "it is done" },
    });
    expect(scanned(SMALL, [Buffer.from("x\n"), Buffer.from("done")]).reported).toEqual([
      { line: 2, text: "done", literals: [4] },
    ]);
  });

  it("reads only the start of a 10 MB line, and goes on after it", () => {
    const chunk = Buffer.alloc(64 * 1024, "a(");
    const chunks = [Buffer.from("error: at the start "), ...Array(160).fill(chunk)];
    chunks.push(Buffer.from("err at the end\nnext line is done\n"));
    const { reported, last } = scanned(SMALL, chunks);
    expect(reported.map((r) => [r.line, r.text.length, r.literals])).toEqual([
      [1, 4096, [0, 1]],
      [2, 17, [4]],
    ]);
    expect(last).toEqual({ line: 2, text: "next line is done" });
  });

  it("reads a long line with escapes as lineText does, where it cuts", () => {
    // A link (an OSC escape) that ends past where lineText cuts is not removed whole: its
    // text shows (and what follows it is cut off).
    const long = Buffer.from(`\x1b]8;;err${"u".repeat(8190)}\x07 done\n`);
    const want = expected(SMALL, long);
    expect(want.reported.map((r) => r.literals)).toEqual([[1]]);
    expect(scanned(SMALL, [long])).toEqual(want);
    expect(scanned(SMALL, randomCuts(long, 3, 7))).toEqual(want);
  });

  it("reports a line with too many literals to count, by reading its text", () => {
    const line = Buffer.from(`${"err done ".repeat(100)}\n`);
    expect(scanned(SMALL, [line])).toEqual(expected(SMALL, line));
  });

  it("keeps the last non-blank line when blank and escape-only lines follow it", () => {
    const bytes = Buffer.from("first\nthe last one\n\n  \t\n\x1b[0m\n\x1b]0;title\x07\n");
    for (let at = 0; at <= bytes.length; at++) {
      expect(scanned(SMALL, cut(bytes, [at])).last).toEqual({ line: 2, text: "the last one" });
    }
    expect(scanned(SMALL, []).last).toBeUndefined();
    expect(scanned(SMALL, [Buffer.from("\n\n")]).last).toBeUndefined();
  });

  it("finds the rules' literals in the corpus logs as reading them line by line does", () => {
    const logs = readCorpus().map((c) => Buffer.from(c.log));
    const all = Buffer.concat(logs.flatMap((log) => [log, Buffer.from("\n")]));
    const want = expected(RULE_LITERALS.automaton, all);
    expect(want.reported.length).toBeGreaterThan(100);
    expect(scanned(RULE_LITERALS.automaton, [all])).toEqual(want);
    expect(scanned(RULE_LITERALS.automaton, randomCuts(all, 400, 3))).toEqual(want);
  });
});
