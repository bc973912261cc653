import { existsSync } from "node:fs";
import { classifyLog } from "../../src/failures/classify.js";
import { FAILURE_CODES } from "../../src/failures/codes.js";
import { isFailureStep } from "../../src/pipeline/step-names.js";
import { CORPUS_FILE, readCorpus, SHARED_CORPUS_FILE } from "../helpers/failure-corpus.js";

// The project's copy (for CI), and the shared corpus when this machine has it.
const CORPORA = [CORPUS_FILE, SHARED_CORPUS_FILE].filter((file) => existsSync(file));

const MIN_EXACT = 0.95;

describe.each(CORPORA)("the failure corpus %s", (file) => {
  const cases = readCorpus(file);

  const results = Promise.all(
    cases.map(async (c) => {
      if (!isFailureStep(c.step)) throw new Error(`${c.id}: unknown step ${c.step}`);
      return {
        case: c,
        got: await classifyLog({ step: c.step, exitCode: c.exitCode, log: c.log }),
      };
    }),
  );

  it(`classifies at least ${MIN_EXACT * 100}% of the cases exactly`, async () => {
    const all = await results;
    const misses = all.filter((r) => r.got.code !== r.case.expected);
    if (misses.length > 0) {
      console.log(
        `misses:\n${misses.map((r) => `  ${r.case.id}: expected ${r.case.expected}, got ${r.got.code}`).join("\n")}`,
      );
    }
    const exact = (all.length - misses.length) / all.length;
    console.log(`${file}: ${(exact * 100).toFixed(1)}% exact (${all.length} cases)`);
    expect(exact).toBeGreaterThanOrEqual(MIN_EXACT);
  });

  it("gets every documented common failure right", async () => {
    const documented = (await results).filter((r) => "docs" in FAILURE_CODES[r.case.expected]);
    expect(documented.length).toBeGreaterThan(0);
    expect(documented.map((r) => [r.case.id, r.got.code])).toEqual(
      documented.map((r) => [r.case.id, r.case.expected]),
    );
  });

  it("never calls a deterministic failure retryable", async () => {
    const wronglyRetryable = (await results).filter(
      (r) => !FAILURE_CODES[r.case.expected].retryable && r.got.retryable,
    );
    expect(wronglyRetryable.map((r) => r.case.id)).toEqual([]);
  });

  it("shows evidence for every verdict but UNKNOWN", async () => {
    const bare = (await results).filter(
      (r) => r.got.code !== "UNKNOWN" && r.got.evidence.length === 0,
    );
    expect(bare.map((r) => r.case.id)).toEqual([]);
  });
});
