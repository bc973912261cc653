import { Readable } from "node:stream";
import fc from "fast-check";
import { classifyLog } from "../../src/failures/classify.js";
import { FAILURE_CODES } from "../../src/failures/codes.js";
import { logLines, MAX_READ_LINE_CHARS } from "../../src/failures/log-lines.js";
import { FAILURE_STEPS } from "../../src/failures/step-names.js";

// Whatever bytes a step prints, the classifier ends, names a catalogued code and keeps its
// evidence short: binary data, invalid UTF-8, lone surrogates, huge single lines.
const step = fc.constantFrom(...FAILURE_STEPS);
const exitCode = fc.option(fc.integer({ min: -255, max: 255 }));
const CODES = Object.keys(FAILURE_CODES);

/** A byte stream in the chunks a pipe would deliver. */
const chunked = (bytes: Uint8Array, size: number) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
      Buffer.from(bytes.subarray(i * size, (i + 1) * size)),
    ),
  );

function expectSane(result: Awaited<ReturnType<typeof classifyLog>>) {
  expect(CODES).toContain(result.code);
  expect(typeof result.hint).toBe("string");
  expect(result.evidence.length).toBeLessThanOrEqual(20);
  for (const line of result.evidence) expect(line.text.length).toBeLessThanOrEqual(64 * 1024);
}

it("classifies any bytes, read as a stream (binary, invalid UTF-8)", async () => {
  await fc.assert(
    fc.asyncProperty(
      step,
      exitCode,
      fc.uint8Array({ maxLength: 4096 }),
      fc.integer({ min: 1, max: 512 }),
      async (name, code, bytes, size) => {
        expectSane(
          await classifyLog({ step: name, exitCode: code, log: logLines(chunked(bytes, size)) }),
        );
      },
    ),
    { numRuns: 200 },
  );
});

it("classifies any strings, lone surrogates and control characters included", async () => {
  await fc.assert(
    fc.asyncProperty(
      step,
      exitCode,
      fc.array(fc.string({ unit: "binary", maxLength: 300 }), { maxLength: 40 }),
      async (name, code, lines) => {
        expectSane(await classifyLog({ step: name, exitCode: code, log: lines }));
      },
    ),
    { numRuns: 200 },
  );
});

it("ends on a 10 MB single line of binary with invalid UTF-8, keeping a bounded slice of it", async () => {
  // Bytes 0x01–0xff but never a newline, with 0xc3 (a UTF-8 lead byte) before arbitrary bytes.
  const line = Buffer.alloc(10 * 1024 * 1024);
  for (let i = 0; i < line.length; i++) line[i] = i % 7 === 0 ? 0xc3 : ((i * 31) % 255) + 1;
  for (let i = 0; i < line.length; i++) if (line[i] === 0x0a) line[i] = 0x20;
  const bytes = Buffer.concat([line, Buffer.from("\nError: Cannot find module 'left-pad'\n")]);
  const read: number[] = [];
  async function* measured() {
    for await (const text of logLines(chunked(bytes, 64 * 1024))) {
      read.push(text.length);
      yield text;
    }
  }
  const result = await classifyLog({ step: "build", exitCode: 1, log: measured() });
  expectSane(result);
  expect(result.code).toBe("MODULE_NOT_FOUND");
  // The huge line reaches the classifier cut to MAX_READ_LINE_CHARS, never whole.
  expect(Math.max(...read)).toBeLessThanOrEqual(MAX_READ_LINE_CHARS + 64);
});
