/**
 * Throughput and memory of the failure classifier on a large synthetic log, side by side with
 * `grep -E` over the same patterns. Usage: npx tsx bench/classify.ts [--size-mb N]
 *
 * The log is a realistic mix (install output, access logs, warnings, handled errors, stack
 * traces) with the failure near the end. The classifier runs in a child process so its peak RSS
 * (VmHWM) is its own.
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { classifyLog } from "../src/failures/classify.js";
import { logLines } from "../src/failures/log-lines.js";
import { RULES } from "../src/failures/rules/index.js";

const MB = 1024 * 1024;

const NOISE: ((i: number) => string)[] = [
  (i) =>
    `2026-11-25T21:54:${String(i % 60).padStart(2, "0")}.873Z GET /api/todos/${i} 200 ${i % 97}ms`,
  (i) => `[worker] job ${i} done in ${i % 1000}ms (queue=emails, attempts=1)`,
  (i) =>
    `npm warn deprecated inflight@1.0.${i % 7}: This module is not supported, and leaks memory`,
  (i) => `    at processTicksAndRejections (node:internal/process/task_queues:${i % 100}:5)`,
  (i) =>
    `{"level":30,"time":${1764107653000 + i},"msg":"request completed","responseTime":${i % 50}}`,
  (i) => `[cache] miss for key user:${i}; fetching (no error)`,
  () => "",
  (i) => `POST /api/login 401 ${i % 20}ms - invalid credentials`,
  (i) => `\x1b[32minfo\x1b[39m: synced ${i % 500} records`,
  (i) => `[flags] table unavailable (relation "feature_flags" does not exist); flags off (${i})`,
];

const FAILURE = [
  "node:events:502",
  "      throw er; // Unhandled 'error' event",
  "      ^",
  "",
  "Error: listen EADDRINUSE: address already in use :::3000",
  "    at Server.setupListenHandle [as _listen2] (node:net:1908:16)",
  "  code: 'EADDRINUSE',",
  "",
  "Node.js v20.20.2",
];

async function writeLog(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  let written = 0;
  for (let i = 0; written < bytes; i++) {
    const line = `${NOISE[(i * 7) % NOISE.length]!(i)}\n`;
    written += Buffer.byteLength(line);
    if (!out.write(line)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  out.end(`${FAILURE.join("\n")}\n`);
  await new Promise<void>((resolve) => out.once("close", () => resolve()));
}

/** The child: classifies the file, prints its verdict, time and peak RSS as JSON. */
async function classifyFile(file: string): Promise<void> {
  const started = performance.now();
  const result = await classifyLog({
    step: "start",
    exitCode: 1,
    log: logLines(createReadStream(file)),
  });
  const seconds = (performance.now() - started) / 1000;
  const status = await readFile("/proc/self/status", "utf8").catch(() => "");
  const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  process.stdout.write(
    JSON.stringify({
      seconds,
      code: result.code,
      evidence: result.evidence,
      peakRssMb: Number.isNaN(hwmKb) ? process.memoryUsage().rss / MB : hwmKb / 1024,
    }),
  );
}

/** The rules in POSIX ERE: lookaheads dropped (a superset), `\d` spelled out, `(?:` as `(`. */
function toEre(source: string): string {
  return source
    .replace(/\(\?[!=][^()]*(?:\([^()]*\)[^()]*)*\)/g, "")
    .replaceAll("(?:", "(")
    .replaceAll("\\d", "[0-9]")
    .replaceAll("\\/", "/");
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv) {
  return new Promise<{ stdout: string; seconds: number; code: number | null }>((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.pipe(process.stderr);
    child.on("close", (code) =>
      resolve({ stdout, code, seconds: (performance.now() - started) / 1000 }),
    );
  });
}

async function main(): Promise<void> {
  if (process.argv[2] === "--child") return classifyFile(process.argv[3]!);
  const sizeArg = process.argv.indexOf("--size-mb");
  const sizeMb = sizeArg === -1 ? 200 : Number(process.argv[sizeArg + 1]);
  if (!(sizeMb > 0)) throw new Error("--size-mb: expected a positive number");

  const dir = mkdtempSync(path.join(tmpdir(), "classify-bench-"));
  const file = path.join(dir, "step.log");
  try {
    await writeLog(file, sizeMb * MB);
    const size = statSync(file).size / MB;

    const self = fileURLToPath(import.meta.url);
    const child = await run(process.execPath, [...process.execArgv, self, "--child", file]);
    const classified = JSON.parse(child.stdout);

    const pattern = RULES.map((rule) => `(${toEre(rule.pattern.source)})`).join("|");
    const grep = await run("grep", ["-E", "-i", "-c", "-e", pattern, file], { LC_ALL: "C" });
    if (grep.code !== 0 && grep.code !== 1) throw new Error("grep -E rejected the patterns");

    const mbps = (seconds: number) => (size / seconds).toFixed(1);
    console.log(`log: ${size.toFixed(0)} MB`);
    console.log(
      `classifier: ${classified.seconds.toFixed(2)} s (${mbps(classified.seconds)} MB/s), peak RSS ${classified.peakRssMb.toFixed(0)} MB, verdict ${classified.code} at line ${classified.evidence[0]?.line}`,
    );
    console.log(
      `grep -E:    ${grep.seconds.toFixed(2)} s (${mbps(grep.seconds)} MB/s), ${grep.stdout.trim()} matching lines`,
    );
    console.log(
      `ratio: the classifier takes ${(classified.seconds / grep.seconds).toFixed(1)}× grep's time`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
