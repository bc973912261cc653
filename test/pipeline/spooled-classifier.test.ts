import { writeSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { classifyLog } from "../../src/failures/classify.js";
import { SpooledClassifier } from "../../src/pipeline/spooled-classifier.js";
import { type CorpusCase, readCorpus } from "../helpers/failure-corpus.js";

const cases = readCorpus();

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-spool-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const quiet = pino({ level: "silent" });

/** The log as runCommand hands it on: chunks of whole lines, each ending in "\n". */
function chunksOf(log: string, linesPerChunk: number): Buffer[] {
  const lines = log.replace(/\n$/, "").split("\n");
  const chunks: Buffer[] = [];
  for (let at = 0; at < lines.length; at += linesPerChunk)
    chunks.push(Buffer.from(`${lines.slice(at, at + linesPerChunk).join("\n")}\n`));
  return chunks;
}

async function spoolAndClassify(
  c: CorpusCase,
  options: { limitBytes: number; dir?: string; secrets?: string[] },
) {
  const classifier = await SpooledClassifier.open(c.step, {
    dir: options.dir ?? path.join(dir, "spool"),
    limitBytes: options.limitBytes,
    secrets: options.secrets ?? [],
    logger: quiet,
  });
  for (const chunk of chunksOf(c.log, 3)) await classifier.write(chunk);
  const verdict = await classifier.classify({ exitCode: c.exitCode, signal: null });
  await classifier.close();
  return verdict;
}

/**
 * As a step hands it on: chunks alternately written by the command into the classifier's
 * stdout file (and read from it, as runCommand does) and by the worker (stderr).
 */
async function spoolBothAndClassify(c: CorpusCase, limitBytes: number) {
  const classifier = await SpooledClassifier.open(c.step, {
    dir: path.join(dir, "spool"),
    limitBytes,
    secrets: [],
    logger: quiet,
  });
  const stdout = classifier.stdoutFile!;
  for (const [i, chunk] of chunksOf(c.log, 2).entries()) {
    if (i % 2 === 0) {
      await classifier.write(chunk);
      continue;
    }
    writeSync(stdout.writeFd, chunk);
    while (stdout.next()) await classifier.pending();
  }
  const verdict = await classifier.classify({ exitCode: c.exitCode, signal: null });
  await classifier.close();
  return verdict;
}

describe("SpooledClassifier", () => {
  it("gives every corpus log the verdict of classifying it as it came", async () => {
    for (const c of cases) {
      const asItCame = await classifyLog({ step: c.step, exitCode: c.exitCode, log: c.log });
      expect({ id: c.id, verdict: await spoolAndClassify(c, { limitBytes: 1 << 30 }) }).toEqual({
        id: c.id,
        verdict: asItCame,
      });
    }
  });

  it("past its limit reads the spool in and goes on as the output comes, to the same verdict", async () => {
    for (const c of cases.filter((c) => c.log.length > 400)) {
      const asItCame = await classifyLog({ step: c.step, exitCode: c.exitCode, log: c.log });
      expect({ id: c.id, verdict: await spoolAndClassify(c, { limitBytes: 200 }) }).toEqual({
        id: c.id,
        verdict: asItCame,
      });
    }
  });

  it("reads a command's stdout file and the worker's spool back in the order they came", async () => {
    for (const c of cases) {
      const asItCame = await classifyLog({ step: c.step, exitCode: c.exitCode, log: c.log });
      expect({ id: c.id, verdict: await spoolBothAndClassify(c, 1 << 30) }).toEqual({
        id: c.id,
        verdict: asItCame,
      });
    }
  });

  it("past its limit reads both in and goes on as the output comes, to the same verdict", async () => {
    for (const c of cases.filter((c) => c.log.length > 400)) {
      const asItCame = await classifyLog({ step: c.step, exitCode: c.exitCode, log: c.log });
      expect({ id: c.id, verdict: await spoolBothAndClassify(c, 200) }).toEqual({
        id: c.id,
        verdict: asItCame,
      });
    }
  });

  it("frees the disk space of stdout it has classified past its limit", async () => {
    const classifier = await SpooledClassifier.open("build", {
      dir,
      limitBytes: 1024 * 1024,
      secrets: [],
      logger: quiet,
    });
    const stdout = classifier.stdoutFile!;
    const noise = Buffer.from("webpack compiled chunk 1234 in 5ms\n".repeat(30_000));
    for (let written = 0; written < 100 * 1024 * 1024; written += noise.length) {
      writeSync(stdout.writeFd, noise);
      while (stdout.next()) await classifier.pending();
    }
    writeSync(stdout.writeFd, "Error: listen EADDRINUSE: address already in use :::3000\n");
    while (stdout.next()) await classifier.pending();
    // What was freed is freed in the background: close() waits for it.
    const verdict = await classifier.classify({ exitCode: 1, signal: null });
    const { blocks, size } = await stdout.file.stat();
    await classifier.close();
    expect(verdict.code).toBe("PORT_IN_USE");
    expect(size).toBeGreaterThan(100 * 1024 * 1024);
    // 512-byte blocks: at most what came since the last release is still on disk.
    expect(blocks * 512).toBeLessThan(70 * 1024 * 1024);
  });

  it("leaves nothing in its directory, even while it holds output", async () => {
    const classifier = await SpooledClassifier.open("start", {
      dir,
      limitBytes: 1 << 30,
      secrets: [],
    });
    const noise = Buffer.from("GET /health 200 1ms\n".repeat(50_000));
    for (let i = 0; i < 4; i++) await classifier.write(noise);
    await classifier.write(
      Buffer.from("Error: listen EADDRINUSE: address already in use :::3000\n"),
    );
    expect(await readdir(dir)).toEqual([]);
    const verdict = await classifier.classify({ exitCode: 1, signal: null });
    await classifier.close();
    expect(verdict.code).toBe("PORT_IN_USE");
    expect(verdict.evidence[0]?.line).toBe(200_001);
  });

  it("classifies as the output comes when its spool cannot be made", async () => {
    const notADirectory = path.join(dir, "file");
    await writeFile(notADirectory, "");
    const c = cases.find((c) => c.log.length > 400)!;
    const asItCame = await classifyLog({ step: c.step, exitCode: c.exitCode, log: c.log });
    const verdict = await spoolAndClassify(c, {
      limitBytes: 1 << 30,
      dir: path.join(notADirectory, "spool"),
    });
    expect(verdict).toEqual(asItCame);
  });

  it("quotes the evidence with the secrets redacted and NUL removed", async () => {
    const secret = "hunter2-but-longer";
    const classifier = await SpooledClassifier.open("start", {
      dir,
      limitBytes: 1 << 30,
      secrets: [secret],
    });
    await classifier.write(
      Buffer.from(
        `booting\nError: listen EADDRINUSE: address already in use ${secret}\u0000:3000\n`,
      ),
    );
    const verdict = await classifier.classify({ exitCode: 1, signal: null });
    await classifier.close();
    expect(verdict.code).toBe("PORT_IN_USE");
    expect(verdict.evidence[0]?.text).toBe(
      "Error: listen EADDRINUSE: address already in use [redacted]:3000",
    );
  });
});
