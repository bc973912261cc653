import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { classifyCommand } from "../../src/cli/classify.js";
import { UsageError } from "../../src/errors.js";

const dir = mkdtempSync(path.join(tmpdir(), "classify-command-"));

function io(stdin = "") {
  const out = new PassThrough();
  let text = "";
  out.on("data", (chunk) => {
    text += chunk;
  });
  return { io: { in: Readable.from([stdin]), out }, output: () => text };
}

describe("coduck-worker classify", () => {
  it("prints the code, the fix and numbered evidence for a log on stdin", async () => {
    const { io: streams, output } = io(
      "starting\nError: listen EADDRINUSE: address already in use :::3000\n",
    );
    expect(await classifyCommand("-", { step: "start", exitCode: "1" }, streams)).toBe(0);
    expect(output()).toContain("PORT_IN_USE: The app's port is already in use");
    expect(output()).toContain("fix: Listen once");
    expect(output()).toContain("  2 | Error: listen EADDRINUSE");
  });

  it("prints the classification as JSON for a file", async () => {
    const file = path.join(dir, "build.log");
    writeFileSync(
      file,
      "> tsc\nsrc/a.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.\n",
    );
    const { io: streams, output } = io();
    await classifyCommand(file, { step: "build", exitCode: "2", json: true }, streams);
    expect(JSON.parse(output())).toMatchObject({
      code: "TYPESCRIPT_ERROR",
      retryable: false,
      evidence: [{ line: 2 }],
    });
  });

  it("classifies JSONL cases into {id, code, retryable} lines, in order", async () => {
    const file = path.join(dir, "cases.jsonl");
    const cases = [
      { id: "a", step: "install", exitCode: 1, log: "npm error code ECONNRESET" },
      { id: "b", step: "start", exitCode: 137, log: "Killed" },
      { id: "c", step: "build", exitCode: 3, log: "" },
    ];
    writeFileSync(file, `${cases.map((c) => JSON.stringify(c)).join("\n")}\n`);
    const { io: streams, output } = io();
    await classifyCommand(undefined, { step: "build", jsonl: file }, streams);
    expect(
      output()
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { id: "a", code: "NETWORK_ERROR", retryable: true },
      { id: "b", code: "OUT_OF_MEMORY", retryable: false },
      { id: "c", code: "UNKNOWN", retryable: false },
    ]);
  });

  it("rejects bad input with a message naming the option or line", async () => {
    const file = path.join(dir, "bad.jsonl");
    writeFileSync(
      file,
      `${JSON.stringify({ id: "a", step: "build", exitCode: 1, log: "" })}\n{not json\n`,
    );
    const unknownStep = path.join(dir, "step.jsonl");
    writeFileSync(
      unknownStep,
      `${JSON.stringify({ id: "a", step: "deploy", exitCode: 1, log: "" })}\n`,
    );
    const { io: streams } = io();
    await expect(classifyCommand("-", { step: "deploy" }, streams)).rejects.toThrow(
      new UsageError(
        "--step: expected one of provision, checkout, install, build, schema, start, runtime",
      ),
    );
    await expect(classifyCommand("-", { step: "build", exitCode: "one" }, streams)).rejects.toThrow(
      /--exit-code/,
    );
    await expect(
      classifyCommand(undefined, { step: "build", jsonl: file }, streams),
    ).rejects.toThrow(/^line 2: not valid JSON/);
    await expect(
      classifyCommand(undefined, { step: "build", jsonl: unknownStep }, streams),
    ).rejects.toThrow(/^line 1: step/);
    await expect(
      classifyCommand(path.join(dir, "missing.log"), { step: "build" }, streams),
    ).rejects.toBeInstanceOf(UsageError);
    const reading = classifyCommand(dir, { step: "build" }, streams);
    await expect(reading).rejects.toBeInstanceOf(UsageError);
    await expect(reading).rejects.toThrow(`cannot read ${dir}: EISDIR`);
  });

  it("reads a log file of many chunks with its line numbers exact", async () => {
    const file = path.join(dir, "long.log");
    const noise = "GET /api/todos 200 3ms (no error)\n".repeat(100_000);
    writeFileSync(file, `${noise}Error: listen EADDRINUSE: address already in use :::3000\n`);
    const { io: streams, output } = io();
    await classifyCommand(file, { step: "start", exitCode: "1", json: true }, streams);
    expect(JSON.parse(output())).toMatchObject({
      code: "PORT_IN_USE",
      evidence: [
        { line: 100_001, text: "Error: listen EADDRINUSE: address already in use :::3000" },
      ],
    });
  });
});
