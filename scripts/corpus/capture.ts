/**
 * The capture harness for the project's failure corpus (test/fixtures/failure-corpus/captured/):
 * each case is an app made to fail for real here, with the real tool, and its output kept as the
 * step would see it (stdout and stderr interleaved in one pipe). Nothing in a case's log is
 * written by hand: the harness only rewrites the throwaway directory to /app and per-project
 * database and role names to opaque ids, so neither hints at the label.
 *
 * A capture script (scripts/corpus/<group>.ts) calls `capture` per case; run it again and each
 * case is replaced in place (by id), so the corpus is reproducible on a machine of this kind.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FailureCode } from "../../src/failures/codes.js";
import type { FailureStep } from "../../src/pipeline/step-names.js";
import type { CorpusStack } from "./corpus.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CAPTURED_DIR = path.join(ROOT, "test/fixtures/failure-corpus/captured");

/** The tool or library whose failure a case shows (the README's per-stack accuracy). */
export type Stack = CorpusStack;

export type CapturedCase = {
  id: string;
  stack: Stack;
  step: FailureStep;
  exitCode: number | null;
  log: string;
  expected: FailureCode;
  origin: string;
};

export type CaptureSpec = {
  /** Short kebab id, unique in the corpus; it must not name the expected code. */
  id: string;
  stack: Stack;
  step: FailureStep;
  expected: FailureCode;
  /** How the failure was made to happen, in words (becomes `origin: reproduced: …`). */
  how: string;
  /** A prepared app directory (node_modules installed) copied as the starting point. */
  template?: string;
  /** Files written into the app directory (after the template is copied). */
  files?: Record<string, string>;
  /** Commands run in the app directory first, each must succeed; their output is not kept. */
  prepare?: string[];
  /** The step's command, run with `bash -c` in the app directory; its output is the log. */
  command: string;
  env?: Record<string, string>;
  /** Kills the command after this long (runtime cases: the log so far, exitCode null). */
  timeoutMs?: number;
  /** For a runtime case: the exit code is recorded as null (the process was still serving). */
  stillRunning?: boolean;
  /** Names (databases, roles, hosts) replaced in the log by opaque ids. */
  scrub?: string[];
};

const MAX_LINES = 200;

/** Runs one case for real and writes it into CAPTURED_DIR/<file>.jsonl (replacing its id). */
export async function capture(file: string, spec: CaptureSpec): Promise<CapturedCase> {
  const work = await mkdtemp(path.join(tmpdir(), "coduck-corpus-"));
  const app = path.join(work, "app");
  try {
    if (spec.template) await cp(spec.template, app, { recursive: true, verbatimSymlinks: true });
    else await mkdir(app, { recursive: true });
    for (const [name, text] of Object.entries(spec.files ?? {})) {
      await mkdir(path.dirname(path.join(app, name)), { recursive: true });
      await writeFile(path.join(app, name), text);
    }
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", ...spec.env };
    for (const command of spec.prepare ?? []) {
      const done = await run(command, app, env, 600_000);
      if (done.exitCode !== 0)
        throw new Error(`${spec.id}: prepare \`${command}\` failed:\n${done.output}`);
    }
    const done = await run(spec.command, app, env, spec.timeoutMs ?? 300_000);
    const exitCode = spec.stillRunning ? null : done.exitCode;
    if (exitCode === 0)
      throw new Error(`${spec.id}: \`${spec.command}\` succeeded:\n${done.output}`);
    const log = cut(scrub(done.output, [app, work], spec.scrub ?? []));
    const captured: CapturedCase = {
      id: spec.id,
      stack: spec.stack,
      step: spec.step,
      exitCode,
      log,
      expected: spec.expected,
      origin: `reproduced: ${spec.how}`,
    };
    await save(file, captured);
    return captured;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function run(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // One pipe for both streams, as the worker's steps read them: the order is the tool's own.
    const child = spawn("bash", ["-c", `exec 2>&1; ${command}`], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {}
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString("utf8");
      resolve({ exitCode: code ?? (signal ? 128 + signalNumber(signal) : null), output });
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGKILL: 9, SIGTERM: 15, SIGABRT: 6, SIGSEGV: 11, SIGINT: 2 }[signal as string] ?? 0;
}

/** The work directory as /app, and each scrubbed name as an opaque prj_ id. */
function scrub(text: string, dirs: string[], names: string[]): string {
  let out = text;
  for (const dir of dirs.sort((a, b) => b.length - a.length)) out = out.split(dir).join("/app");
  for (const name of names.filter((n) => n !== "").sort((a, b) => b.length - a.length)) {
    const id = `prj_${createHash("sha256").update(name).digest("hex").slice(0, 10)}`;
    out = out.split(name).join(id);
  }
  return out;
}

/** At most MAX_LINES lines: the start and the end, with a marker for the gap. */
function cut(text: string): string {
  const lines = text.split("\n");
  if (lines.length <= MAX_LINES) return text;
  const head = 40;
  const tail = MAX_LINES - head - 1;
  return [
    ...lines.slice(0, head),
    `[... ${lines.length - head - tail} lines omitted ...]`,
    ...lines.slice(-tail),
  ].join("\n");
}

async function save(file: string, captured: CapturedCase): Promise<void> {
  await mkdir(CAPTURED_DIR, { recursive: true });
  const target = path.join(CAPTURED_DIR, `${file}.jsonl`);
  const existing = existsSync(target) ? (await readFile(target, "utf8")).split("\n") : [];
  const kept = existing.filter((line) => line.trim() !== "" && JSON.parse(line).id !== captured.id);
  await writeFile(target, `${[...kept, JSON.stringify(captured)].join("\n")}\n`);
}
