import { linesText, MAX_LINE_BYTES } from "../exec/output-lines.js";
import type { OutputStream } from "../exec/run-command.js";
import { pickEvidence } from "../failures/pick-evidence.js";
import { cleanLogText } from "../secrets/redact-secrets.js";
import type { Db } from "../store/prisma.js";
import { StaleAttemptError } from "../store/stale-attempt.js";
import {
  appendLogLines,
  type LogStream,
  type LogTarget,
  type StoredLine,
} from "../store/step-log-lines.js";

export type StepLogLimits = {
  /** Lines stored per step; past it one marker line says how many more were dropped. */
  maxLines: number;
  /** Characters kept of one line. */
  maxLineLength: number;
  /** Lines kept in the step row's tail. */
  tailLines: number;
  /** Characters of lines waiting for the store past which the command's output waits. */
  maxQueuedChars?: number;
};

export const DEFAULT_LOG_LIMITS: StepLogLimits = {
  maxLines: 20_000,
  maxLineLength: 4_096,
  tailLines: 40,
};

const BATCH_LINES = 500;
const BATCH_DELAY_MS = 200;
/** Lines per write (one row) when the store has fallen behind and lines have piled up. */
const MAX_WRITE_LINES = 5_000;
const MAX_QUEUED_CHARS = 8 * 1024 * 1024;

/**
 * One step's output on its way to the log store: redacted, cut to size, written in batches in
 * order (one write at a time; lines that came during a write go in the next, so a slow store
 * gets fewer, larger batches), with a bounded tail kept in memory for the step row. Memory stays bounded whatever
 * the command prints. The command's output comes a chunk of whole lines at a time: redaction
 * works on the chunk, and only the lines that are stored become strings of their own.
 */
export class StepLog {
  private seq = 0;
  private dropped = 0;
  private queued: StoredLine[] = [];
  private queuedChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private writeError: unknown;
  private tailLines: { stream: LogStream; line: string }[] = [];
  /**
   * Lines past the cap not yet read into tailLines: of each chunk, a copy of no more than its
   * last tailLines lines, and how many lines that is.
   */
  private unreadTail: { stream: OutputStream; lines: Buffer; count: number }[] = [];
  private unreadTailLines = 0;

  constructor(
    private readonly db: Db,
    private readonly target: LogTarget,
    private readonly secrets: readonly string[] = [],
    private readonly limits: StepLogLimits = DEFAULT_LOG_LIMITS,
  ) {}

  /**
   * Whole lines of the command's output, as runCommand hands them on. Returns a promise when
   * the store is behind: the caller should wait for it before writing more.
   */
  readonly writeOutput = (stream: OutputStream, lines: Buffer): Promise<void> | undefined => {
    if (this.seq < this.limits.maxLines) return this.write(stream, linesText(lines));
    // Past the cap a chunk is only counted, and its last lines kept as they came while they may
    // still be among the last: they are read as text, and redacted, only if they are.
    this.dropped += countNewlines(lines);
    const last = lastLinesOf(lines, this.limits.tailLines);
    this.unreadTail.push({ stream, lines: Buffer.from(last.bytes), count: last.count });
    this.unreadTailLines += last.count;
    while (this.unreadTailLines - this.unreadTail[0]!.count >= this.limits.tailLines)
      this.unreadTailLines -= this.unreadTail.shift()!.count;
    return this.backPressure();
  };

  /**
   * Lines of text (whole lines joined by "\n"): the command's, or one line of the platform's
   * own ("system"). Returns a promise when the store is behind, as writeOutput does.
   */
  readonly write = (stream: LogStream, lines: string): Promise<void> | undefined => {
    const text = this.redact(lines);
    if (stream === "system") {
      // A stored line never holds "\n" (see StepLogChunk): a message of several lines is stored
      // as several.
      const lines = text.split("\n");
      this.keepTail(stream, lines);
      for (const line of lines) this.store(stream, line);
      return this.backPressure();
    }
    this.keepTail(stream, lastLines(text, this.limits.tailLines));
    let start = 0;
    while (this.seq < this.limits.maxLines) {
      const end = text.indexOf("\n", start);
      this.store(stream, end === -1 ? text.slice(start) : text.slice(start, end));
      if (end === -1) return this.backPressure();
      start = end + 1;
    }
    this.dropped += countLines(text, start);
    return this.backPressure();
  };

  /** The last lines, for the step row. */
  tail(): string {
    this.readTail();
    return this.tailLines.map((entry) => entry.line).join("\n");
  }

  /** The line of the tail that best shows why the step failed. */
  evidence(): string | undefined {
    this.readTail();
    return pickEvidence(
      this.tailLines.filter((entry) => entry.stream !== "system").map((entry) => entry.line),
    );
  }

  /** Writes what is left; rejects if any write to the store failed. */
  async close(): Promise<void> {
    if (this.dropped > 0) {
      this.queued.push({
        seq: this.seq++,
        at: new Date(),
        stream: "system",
        line: `[... ${this.dropped} more lines not stored: the step log is capped at ${this.limits.maxLines} lines ...]`,
      });
    }
    do {
      this.flush();
      await this.writing;
    } while (this.queued.length > 0);
    if (this.writeError) throw this.writeError;
  }

  private store(stream: LogStream, line: string): void {
    if (this.seq >= this.limits.maxLines) {
      this.dropped++;
      return;
    }
    const stored = this.cut(line);
    this.queued.push({ seq: this.seq++, at: new Date(), stream, line: stored });
    this.queuedChars += stored.length;
    if (this.queued.length >= BATCH_LINES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_DELAY_MS);
  }

  private keepTail(stream: LogStream, lines: string[]): void {
    this.readTail();
    for (const line of lines) this.tailLines.push({ stream, line: this.cut(line) });
    const excess = this.tailLines.length - this.limits.tailLines;
    if (excess > 0) this.tailLines.splice(0, excess);
  }

  private readTail(): void {
    if (this.unreadTail.length === 0) return;
    const chunks = this.unreadTail;
    this.unreadTail = [];
    this.unreadTailLines = 0;
    for (const { stream, lines } of chunks)
      this.keepTail(stream, lastLines(this.redact(linesText(lines)), this.limits.tailLines));
  }

  private backPressure(): Promise<void> | undefined {
    const max = this.limits.maxQueuedChars ?? MAX_QUEUED_CHARS;
    return this.queuedChars > max ? this.writing : undefined;
  }

  /** Starts writing the queued lines, unless a write is on its way: it takes them next. */
  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing || this.queued.length === 0) return;
    this.writing = this.writeQueued().finally(() => {
      this.writing = undefined;
      if (this.queued.length > 0) this.flush();
    });
  }

  private async writeQueued(): Promise<void> {
    while (this.queued.length > 0) {
      const lines = this.queued.splice(0, MAX_WRITE_LINES);
      // A newer attempt owns the step: whatever this one still has to say is not stored.
      if (this.writeError instanceof StaleAttemptError) {
        this.queuedChars = 0;
        this.queued = [];
        return;
      }
      try {
        await appendLogLines(this.db, this.target, {
          firstSeq: lines[0]!.seq,
          at: lines[0]!.at,
          lines,
        });
      } catch (error) {
        this.writeError ??= error;
      }
      for (const line of lines) this.queuedChars -= line.line.length;
    }
  }

  /** Lines never hold a secret's "\n": a chunk of whole lines is redacted at once. */
  private redact(text: string): string {
    return cleanLogText(text, this.secrets);
  }

  private cut(line: string): string {
    const max = this.limits.maxLineLength;
    if (line.length <= max) return line;
    // runCommand hands on no more of a line than MAX_LINE_BYTES, cut before a character of up
    // to 4 bytes: the rest was never read.
    const more = Buffer.byteLength(line) > MAX_LINE_BYTES - 4 ? "at least " : "";
    return `${line.slice(0, max)} [... ${more}${line.length - max} more characters]`;
  }
}

/** The last `n` lines of whole lines joined by "\n", in order. */
function lastLines(text: string, n: number): string[] {
  const lines: string[] = [];
  let end = text.length;
  while (lines.length < n) {
    const newline = end === 0 ? -1 : text.lastIndexOf("\n", end - 1);
    lines.push(text.slice(newline + 1, end));
    if (newline === -1) break;
    end = newline;
  }
  return lines.reverse();
}

/** The last `n` lines of whole lines as bytes (each ending in "\n"), and how many they are. */
function lastLinesOf(bytes: Buffer, n: number): { bytes: Buffer; count: number } {
  let start = bytes.length;
  let count = 0;
  for (; count < n && start > 0; count++)
    start = start < 2 ? 0 : bytes.lastIndexOf(0x0a, start - 2) + 1;
  return { bytes: bytes.subarray(start), count };
}

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}

function countLines(text: string, from: number): number {
  if (from > text.length) return 0;
  let count = 1;
  for (let at = text.indexOf("\n", from); at !== -1; at = text.indexOf("\n", at + 1)) count++;
  return count;
}
