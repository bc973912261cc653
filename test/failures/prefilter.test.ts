import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildPrefilter } from "../../src/failures/prefilter.js";
import { RULES } from "../../src/failures/rules/index.js";

const corpus = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/failure-corpus/dev.jsonl",
);

describe("buildPrefilter", () => {
  it("keeps a piece every match contains, and rejects lines without one", () => {
    const prefilter = buildPrefilter([
      /^npm (?:error|ERR!) code E404\b/,
      /prepared statement \\*"[^"]*" (?:already exists|does not exist)/i,
      /\bP3\d{3}\b/,
      /colou?r (?:red|green)/,
    ]);
    for (const line of [
      "npm ERR! code E404",
      'ERROR: prepared statement "s0" already exists',
      "Error: P3018",
      "COLOR GREEN",
      "colour red",
    ]) {
      expect([line, prefilter.test(line)]).toEqual([line, true]);
    }
    for (const line of ["GET /health 200", "red and green", "P2 is fine"]) {
      expect([line, prefilter.test(line)]).toEqual([line, false]);
    }
  });

  it("lets through every corpus line that one of the rules matches", () => {
    const prefilter = buildPrefilter(RULES.map((rule) => rule.pattern));
    const lines = readFileSync(corpus, "utf8")
      .split("\n")
      .filter(Boolean)
      .flatMap((entry) => (JSON.parse(entry) as { log: string }).log.split("\n"));
    const matched = lines.filter((line) => RULES.some((rule) => rule.pattern.test(line)));
    expect(matched.length).toBeGreaterThan(50);
    expect(matched.filter((line) => !prefilter.test(line))).toEqual([]);
  });
});
