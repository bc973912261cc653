import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { z } from "zod";
import { UsageError } from "../errors.js";
import { type Classification, classifyLog, classifyLogStream } from "../failures/classify.js";
import { fileChunks } from "../failures/scan/file-chunks.js";
import { FAILURE_STEPS, type FailureStep, isFailureStep } from "../pipeline/step-names.js";

const options = z.object({
  step: z.enum(FAILURE_STEPS, { error: `--step: expected one of ${FAILURE_STEPS.join(", ")}` }),
  exitCode: z
    .string()
    .regex(/^-?\d{1,3}$/, "--exit-code: expected a whole number, the step's exit status")
    .transform(Number)
    .optional(),
  json: z.boolean().optional(),
  jsonl: z.string().optional(),
});

type Io = { in: NodeJS.ReadableStream; out: NodeJS.WritableStream };

/**
 * `coduck-worker classify [FILE|-]`: one log in, its classification out (human or --json);
 * or `--jsonl FILE`: `{id, step, exitCode, log}` lines in, `{id, code, retryable}` lines out,
 * in the same order. Returns the exit code.
 */
export async function classifyCommand(file: string | undefined, raw: unknown, io: Io) {
  const parsed = options.safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join("\n"));
  const { step, exitCode, json, jsonl } = parsed.data;
  if (jsonl !== undefined) {
    if (file !== undefined)
      throw new UsageError("give either a log FILE or --jsonl FILE, not both");
    await classifyJsonl(jsonl, io.out);
    return 0;
  }
  const input = { step, exitCode: exitCode ?? null };
  const result =
    file === undefined || file === "-"
      ? await classifyLogStream({ ...input, stream: io.in })
      : await classifyFile(file, input);
  io.out.write(json ? `${JSON.stringify(result, null, 2)}\n` : formatClassification(result));
  return 0;
}

async function classifyJsonl(file: string, out: NodeJS.WritableStream): Promise<void> {
  const lines = createInterface({
    input: await openFile(file),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === "") continue;
    const input = parseCase(line, number);
    const result = await classifyLog(input);
    out.write(
      `${JSON.stringify({ id: input.id, code: result.code, retryable: result.retryable })}\n`,
    );
  }
}

function parseCase(line: string, number: number) {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new UsageError(`line ${number}: not valid JSON (${(error as Error).message})`);
  }
  const record = (typeof value === "object" && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  const { id, step, exitCode, log } = record;
  if (typeof step !== "string" || !isFailureStep(step))
    throw new UsageError(`line ${number}: step: expected one of ${FAILURE_STEPS.join(", ")}`);
  if (exitCode !== null && !Number.isInteger(exitCode))
    throw new UsageError(`line ${number}: exitCode: expected a whole number or null`);
  if (typeof log !== "string") throw new UsageError(`line ${number}: log: expected a string`);
  return { id, step: step as FailureStep, exitCode: exitCode as number | null, log };
}

async function classifyFile(
  file: string,
  input: { step: FailureStep; exitCode: number | null },
): Promise<Classification> {
  const cannotRead = (error: unknown) =>
    new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`, {
      cause: error,
    });
  const handle = await open(file).catch((error) => {
    throw cannotRead(error);
  });
  try {
    return await classifyLogStream({ ...input, stream: fileChunks(handle) }).catch((error) => {
      throw (error as NodeJS.ErrnoException).syscall === "read" ? cannotRead(error) : error;
    });
  } finally {
    await handle.close();
  }
}

async function openFile(file: string): Promise<NodeJS.ReadableStream> {
  const stream = createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (error) =>
      reject(new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`)),
    );
  });
  return stream;
}

/** The classification for a person: code and title, the fix, the evidence with line numbers. */
export function formatClassification(result: Classification): string {
  const lines = [`${result.code}: ${result.title}`, `fix: ${result.hint}`];
  if (result.docs) lines.push(`docs: ${result.docs}`);
  if (result.retryable) lines.push("a retry can help");
  if (result.evidence.length > 0) {
    const width = String(result.evidence.at(-1)!.line).length;
    lines.push("evidence:");
    for (const e of result.evidence) lines.push(`  ${String(e.line).padStart(width)} | ${e.text}`);
  }
  if (result.runnerUp) {
    const where = result.runnerUp.evidence[0];
    lines.push(`runner-up: ${result.runnerUp.code}${where ? ` (line ${where.line})` : ""}`);
  }
  return `${lines.join("\n")}\n`;
}
