import { randomBytes } from "node:crypto";
import { classifyLog, createClassifier } from "../../src/failures/classify.js";

const CRASH = ["node:events:502", "Error: listen EADDRINUSE: address already in use :::3000"];

describe("classifier input", () => {
  it("classifies pushed lines, a string, an iterable and an async iterable alike", async () => {
    const classifier = createClassifier("start");
    for (const line of CRASH) classifier.push(line);
    const pushed = classifier.finish({ exitCode: 1 });
    async function* lines() {
      yield* CRASH;
    }
    expect(await classifyLog({ step: "start", exitCode: 1, log: CRASH.join("\n") })).toEqual(
      pushed,
    );
    expect(await classifyLog({ step: "start", exitCode: 1, log: CRASH })).toEqual(pushed);
    expect(await classifyLog({ step: "start", exitCode: 1, log: lines() })).toEqual(pushed);
    expect(pushed.evidence).toEqual([{ line: 2, text: CRASH[1] }]);
  });

  it("strips ANSI escapes and progress redraws before matching, and from evidence", async () => {
    const result = await classifyLog({
      step: "start",
      exitCode: 1,
      log: [
        "\x1b[2K\x1b[1Gstarting…\r\x1b[31mError\x1b[39m: listen \x1b[1mEADDRINUSE\x1b[22m: address already in use :::3000\r\n",
        "\x1b]8;;https://nodejs.org\x07docs\x1b]8;;\x07",
      ],
    });
    expect(result.code).toBe("PORT_IN_USE");
    expect(result.evidence[0]?.text).toBe(
      "Error: listen EADDRINUSE: address already in use :::3000",
    );
  });

  it("classifies a 10 MB line without hanging, reading only its start", async () => {
    const huge = `Error: Cannot find module 'x' ${"a(".repeat(5_000_000)}`;
    const started = performance.now();
    const result = await classifyLog({ step: "start", exitCode: 1, log: [huge, "Killed"] });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result.code).toBe("OUT_OF_MEMORY");
    expect(result.evidence[0]?.text.length).toBeLessThanOrEqual(401);
  });

  it("classifies random binary input without throwing", async () => {
    for (let i = 0; i < 20; i++) {
      const bytes = randomBytes(64 * 1024);
      const result = await classifyLog({
        step: "build",
        exitCode: 1,
        log: new TextDecoder().decode(bytes),
      });
      expect(result.code).toBeDefined();
    }
  });

  it("keeps line numbers and bounded memory over a long log", () => {
    const classifier = createClassifier("runtime");
    for (let i = 1; i < 300_000; i++) {
      classifier.push(i % 1000 === 0 ? `GET /x failed: TypeError: boom ${i}` : `GET /x 200 ${i}ms`);
    }
    classifier.push('error: column "plan" does not exist');
    const result = classifier.finish({ exitCode: null });
    expect(result).toMatchObject({
      code: "SCHEMA_MISMATCH",
      evidence: [{ line: 300_000, text: 'error: column "plan" does not exist' }],
    });
  });
});
