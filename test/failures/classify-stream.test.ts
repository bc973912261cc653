import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { classifyLog, classifyLogStream, createClassifier } from "../../src/failures/classify.js";
import { HANDLED_LINE } from "../../src/failures/rules/handled-lines.js";
import { RULES } from "../../src/failures/rules/index.js";
import { lineText } from "../../src/failures/scan/line-text.js";
import { matchLine } from "../../src/failures/scan/match-line.js";
import { FAILURE_STEPS, type FailureStep } from "../../src/pipeline/step-names.js";
import { readCorpus } from "../helpers/failure-corpus.js";

const cases = readCorpus();

/** The bytes in pieces of pseudo-random sizes from 1 to `max`. */
function pieces(bytes: Uint8Array, max: number, seed: number): Uint8Array[] {
  let x = seed;
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (x % max);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** The rule that names a line, the plain way: every rule's whole pattern on every line. */
function everyRule(text: string, step: FailureStep) {
  if (HANDLED_LINE.test(text)) return undefined;
  return RULES.find(
    (rule) => (!rule.steps || rule.steps.includes(step)) && rule.pattern.test(text),
  );
}

describe("classifying a byte stream", () => {
  it("names every corpus line as trying every rule on it does, in every step", () => {
    const lines = cases.flatMap((c) => c.log.split("\n")).map(lineText);
    const variants = lines.flatMap((line) => [line, line.toUpperCase(), line.toLowerCase()]);
    let named = 0;
    const wrong: [FailureStep, string][] = [];
    for (const step of FAILURE_STEPS) {
      for (const text of variants) {
        const rule = matchLine(text, step);
        if (rule) named++;
        if (rule !== everyRule(text, step)) wrong.push([step, text]);
      }
    }
    expect(wrong).toEqual([]);
    expect(named).toBeGreaterThan(500);
  });

  it("classifies each corpus log read as bytes, cut anywhere, as it does its lines", async () => {
    for (const c of cases) {
      const input = { step: c.step, exitCode: c.exitCode };
      const fromLines = await classifyLog({ ...input, log: c.log });
      const bytes = Buffer.from(c.log);
      for (const max of [1, 7, 64, 4096]) {
        const fromBytes = await classifyLogStream({ ...input, stream: pieces(bytes, max, max) });
        expect([c.id, max, fromBytes]).toEqual([c.id, max, fromLines]);
      }
      const fromString = await classifyLogStream({ ...input, stream: Readable.from([c.log]) });
      expect([c.id, fromString]).toEqual([c.id, fromLines]);
    }
  });

  it("keeps evidence and line numbers exact over a long noisy log in 64 KiB chunks", async () => {
    const noise = [
      (i: number) => `2026-11-25T21:54:00.873Z GET /api/todos/${i} 200 ${i % 97}ms`,
      (i: number) => `[cache] miss for key user:${i}; fetching (no error)`,
      () => "",
      (i: number) => `\x1b[32minfo\x1b[39m: synced ${i % 500} records`,
      (i: number) => `[flags] table off (relation "feature_flags" does not exist) (${i})`,
      (i: number) => `npm warn deprecated inflight@1.0.${i % 7}: leaks memory`,
      (i: number) => `Applying migration 2026_${i}.sql`,
    ];
    const lines = Array.from({ length: 60_000 }, (_, i) => noise[(i * 7) % noise.length]!(i));
    lines.push("Error: listen EADDRINUSE: address already in use :::3000", "  code: 'EADDRINUSE',");
    const log = `${lines.join("\n")}\n`;
    const fromLines = await classifyLog({ step: "start", exitCode: 1, log });
    const fromBytes = await classifyLogStream({
      step: "start",
      exitCode: 1,
      stream: pieces(Buffer.from(log), 65_536, 5),
    });
    expect(fromBytes).toEqual(fromLines);
    expect(fromBytes).toMatchObject({
      code: "PORT_IN_USE",
      evidence: [
        { line: 60_001, text: "Error: listen EADDRINUSE: address already in use :::3000" },
      ],
    });
  });

  it("splits lines inside a UTF-8 character and replaces invalid bytes", async () => {
    const bytes = Buffer.concat([
      Buffer.from("first ✘ line\n"),
      Buffer.from([0x66, 0xff, 0xfe, 0x0a]),
      Buffer.from("Error: Cannot find module 'ü✘'\n"),
    ]);
    const at = bytes.indexOf(Buffer.from("✘", "utf8"), 20) + 1;
    const result = await classifyLogStream({
      step: "start",
      exitCode: 1,
      stream: [bytes.subarray(0, at), bytes.subarray(at)],
    });
    expect(result.evidence).toEqual([{ line: 3, text: "Error: Cannot find module 'ü✘'" }]);
  });

  it("reads a 10 MB line as its start only, and the lines after it", async () => {
    const chunk = Buffer.alloc(64 * 1024, "a(");
    const stream = [Buffer.from("Error: Cannot find module 'x' "), ...Array(160).fill(chunk)];
    stream.push(Buffer.from("\nKilled\n"));
    const result = await classifyLogStream({ step: "start", exitCode: 1, stream });
    expect(result.code).toBe("OUT_OF_MEMORY");
    expect(result.evidence).toEqual([{ line: 2, text: "Killed" }]);
    expect(result.runnerUp?.evidence[0]?.text).toHaveLength(401);
  });

  it("classifies random binary input as its decoded text, without throwing", async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const bytes = randomBytes(256 * 1024);
      // Some lines that rules name, among the noise.
      bytes.write("\nError: listen EADDRINUSE: address already in use\n", seed * 1000);
      bytes.write("\nnpm error code ERESOLVE\n\x1b[31mKilled\x1b[0m\n", seed * 7000);
      const input = { step: "start" as const, exitCode: 1 };
      const fromText = await classifyLog({ ...input, log: new TextDecoder().decode(bytes) });
      const fromBytes = await classifyLogStream({ ...input, stream: pieces(bytes, 9000, seed) });
      expect(fromBytes).toEqual(fromText);
    }
  });

  it("takes a log either as lines or as bytes", () => {
    const lines = createClassifier("build");
    lines.push("a");
    expect(() => lines.write(Buffer.from("b\n"))).toThrow("reads lines");
    const bytes = createClassifier("build");
    bytes.write(Buffer.from("a\n"));
    expect(() => bytes.push("b")).toThrow("reads bytes");
  });
});
