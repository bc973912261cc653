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
