/**
 * How a captured log arrives in the real world, applied deterministically per case: logs reach
 * the worker (and a user's log drain) through timestamping, log shippers, colour and other
 * processes' output. Each case gets one shape, chosen by its id's hash, so a rule cannot lean on
 * a clean line start or on the error being the last line. The captured log itself is untouched
 * on disk; this is only how it is read.
 *
 * Noise lines are real too: test/fixtures/failure-corpus/noise.txt holds lines captured from
 * successful runs of the same tools (install warnings, build progress, request logs), never a
 * line of a failure.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const NOISE_FILE = path.join(ROOT, "test/fixtures/failure-corpus/noise.txt");

export const ARRIVAL_SHAPES = [
  "as-captured",
  "timestamped",
  "shipper-prefixed",
  "coloured",
  "interleaved",
  "timestamped-interleaved",
] as const;
export type ArrivalShape = (typeof ARRIVAL_SHAPES)[number];

let noise: string[] | undefined;
function noiseLines(): string[] {
  noise ??= existsSync(NOISE_FILE)
    ? readFileSync(NOISE_FILE, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    : [];
  return noise;
}

/** A small deterministic generator seeded by a case id. */
function random(seed: string): () => number {
  let state = createHash("sha256").update(seed).digest().readUInt32LE(0) || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

export function arrivalShapeOf(id: string): ArrivalShape {
  const byte = createHash("sha256").update(`arrival:${id}`).digest()[0]!;
  return ARRIVAL_SHAPES[byte % ARRIVAL_SHAPES.length]!;
}

/** The log as it would arrive: one shape per case, the same on every run. */
export function asArrived(id: string, log: string): string {
  const shape = arrivalShapeOf(id);
  const next = random(id);
  let lines = log.split("\n");
  if (shape === "interleaved" || shape === "timestamped-interleaved")
    lines = interleave(lines, next);
  if (shape === "timestamped" || shape === "timestamped-interleaved")
    lines = timestamp(lines, next);
  if (shape === "shipper-prefixed") lines = shipperPrefix(lines, next);
  if (shape === "coloured") lines = colour(lines, next);
  return lines.join("\n");
}

/** Other processes' lines between the tool's, and a few after its last line. */
function interleave(lines: string[], next: () => number): string[] {
  const pool = noiseLines();
  if (pool.length === 0) return lines;
  const pick = () => pool[Math.floor(next() * pool.length)]!;
  const out: string[] = [];
  for (const line of lines) {
    out.push(line);
    if (next() < 0.15) out.push(pick());
  }
  const trailing = 1 + Math.floor(next() * 4);
  for (let i = 0; i < trailing; i++) out.push(pick());
  return out;
}

function timestamp(lines: string[], next: () => number): string[] {
  let at = Date.UTC(2026, 10, 3, 14, 22, 5) + Math.floor(next() * 86_400_000);
  const iso = next() < 0.5;
  return lines.map((line) => {
    at += Math.floor(next() * 40);
    const stamp = new Date(at).toISOString();
    return iso ? `${stamp} ${line}` : `[${stamp.slice(11, 23)}] ${line}`;
  });
}

const SHIPPERS = [
  (n: number) => `app[web.${n}]: `,
  (n: number) => `2026-11-03 14:22:05 UTC [build-${n}] | `,
  (n: number) => `Nov 03 14:22:05 node-${n} coduck-release[${4000 + n}]: `,
  (n: number) => `{"stream":"stdout","pod":"web-${n}"} `,
];

function shipperPrefix(lines: string[], next: () => number): string[] {
  const shipper = SHIPPERS[Math.floor(next() * SHIPPERS.length)]!;
  const prefix = shipper(1 + Math.floor(next() * 9));
  return lines.map((line) => `${prefix}${line}`);
}

const COLOURS = ["\x1b[31m", "\x1b[33m", "\x1b[2m", "\x1b[1m", "\x1b[36m"];

function colour(lines: string[], next: () => number): string[] {
  return lines.map((line) => {
    if (line === "" || next() < 0.5) return line;
    const start = COLOURS[Math.floor(next() * COLOURS.length)]!;
    return `${start}${line}\x1b[0m`;
  });
}
