import { ARRIVAL_SHAPES, arrivalShapeOf, asArrived } from "../../scripts/corpus/arrival.js";
import { classifyLog } from "../../src/failures/classify.js";
import { backtrackingHazards } from "../../src/failures/scan/backtracking-hazards.js";
import { LINE_PREFIX, lineText } from "../../src/failures/scan/line-text.js";
import { CORPUS_FILE, readCorpus } from "../helpers/failure-corpus.js";

// Logs reach the worker through timestamping, log shippers, colour and other processes'
// output (scripts/corpus/arrival.ts, the shapes the captured corpus is read in). A rule reads
// the tool's line as the tool printed it, whatever was put before it.
describe("lines as they arrive", () => {
  it("are read without timestamps and shippers' prefixes", () => {
    const line = 'error: relation "accounts" does not exist';
    for (const prefix of [
      "app[web.1]: ",
      "Nov 03 14:22:05 node-3 coduck-release[4003]: ",
      '{"stream":"stdout","pod":"web-1"} ',
      "2026-11-03 14:22:05 UTC [build-3] | ",
      "2026-11-03T14:22:05.123Z ",
      "[14:22:05.123] ",
      "web-1  | ",
      "\x1b[31m2026-11-03T14:22:05.123Z ",
    ]) {
      expect([prefix, lineText(`${prefix}${line}`)]).toEqual([prefix, line]);
    }
  });

  it("keep what only looks like a prefix: a JSON log line, rustc's error[E…]:, a blank line's stamp", () => {
    const pino = '{"level":50,"msg":"query failed"} retrying';
    expect(lineText(pino)).toBe(pino);
    expect(lineText("error[E0433]: failed to resolve")).toBe("error[E0433]: failed to resolve");
    expect(lineText("2026-11-03T14:22:05.123Z ")).toBe("");
  });

  it("take prefixes off in linear time", () => {
    expect(backtrackingHazards(LINE_PREFIX)).toEqual([]);
  });

  // Each shape is chosen by a case's id: the same log under an id of each shape.
  const idOfShape = (base: string, shape: (typeof ARRIVAL_SHAPES)[number]) => {
    for (let n = 0; ; n++) if (arrivalShapeOf(`${base}#${n}`) === shape) return `${base}#${n}`;
  };

  it.each(ARRIVAL_SHAPES)("keep every verdict of the corpus when they arrive %s", async (shape) => {
    const cases = readCorpus(CORPUS_FILE);
    const got = await Promise.all(
      cases.map(async (c) => {
        const log = asArrived(idOfShape(c.id, shape), c.log);
        const result = await classifyLog({ step: c.step, exitCode: c.exitCode, log });
        return [c.id, result.code];
      }),
    );
    expect(got).toEqual(cases.map((c) => [c.id, c.expected]));
  });
});
