import { Readable } from "node:stream";
import v8 from "node:v8";
import vm from "node:vm";
import fc from "fast-check";
import { classifyLog, classifyLogStream } from "../../src/failures/classify.js";
import { FAILURE_CODES } from "../../src/failures/codes.js";
import { FAILURE_STEPS } from "../../src/failures/step-names.js";

// Whatever bytes a step prints, the classifier ends, names a catalogued code and keeps its
// evidence short: binary data, invalid UTF-8, lone surrogates, huge single lines.
const step = fc.constantFrom(...FAILURE_STEPS);
const exitCode = fc.option(fc.integer({ min: -255, max: 255 }));
const CODES = Object.keys(FAILURE_CODES);

/** A byte stream in the chunks a pipe would deliver, each made when it is read. */
const chunked = (bytes: Uint8Array, size: number) =>
  Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += size)
        yield Buffer.from(bytes.subarray(at, at + size));
    })(),
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
          await classifyLogStream({ step: name, exitCode: code, stream: chunked(bytes, size) }),
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
  // What the process still holds once garbage is collected (the chunks given are copies), not
  // its RSS: the allocator keeps freed pages as it sees fit. V8 may release the memory of
  // collected buffers a moment after the collection (a loaded machine showed all 10 MB still
  // counted): the least of a few samples, a little apart, is what is held.
  v8.setFlagsFromString("--expose-gc");
  const collectGarbage = vm.runInNewContext("gc") as () => void;
  const held = async () => {
    let least = Number.POSITIVE_INFINITY;
    for (let sample = 0; sample < 3; sample++) {
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      least = Math.min(least, heapUsed + arrayBuffers);
    }
    return least;
  };
  const before = await held();
  const result = await classifyLogStream({
    step: "build",
    exitCode: 1,
    stream: chunked(bytes, 64 * 1024),
  });
  expectSane(result);
  expect(result.code).toBe("MODULE_NOT_FOUND");
  // The huge line is never held whole: far less than its 10 MB is added to the process.
  expect((await held()) - before).toBeLessThan(8 * 1024 * 1024);
});
