import type { OutputStream } from "../exec/run-command.js";
import { pickEvidence } from "../failures/pick-evidence.js";
import type { Db } from "../store/prisma.js";
import { appendLogLines, type StoredLine } from "../store/step-log-lines.js";
import { redactSecrets } from "./redact-secrets.js";

export type StepLogLimits = {
  /** Lines stored per step; past it one marker line says how many more were dropped. */
  maxLines: number;
  /** Characters kept of one line. */
  maxLineLength: number;
  /** Lines kept in the step row's tail. */
  tailLines: number;
};

export const DEFAULT_LOG_LIMITS: StepLogLimits = {
  maxLines: 20_000,
  maxLineLength: 4_096,
  tailLines: 40,
};

const BATCH_LINES = 500;
const BATCH_DELAY_MS = 200;

/**
 * One step's output on its way to the log store: redacted, cut to size, written in batches in
 * order, with a bounded tail kept in memory for the step row. Memory stays bounded whatever
 * the command prints.
 */
export class StepLog {
  private seq = 0;
  private dropped = 0;
  private batch: StoredLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private readonly tailBuffer: string[] = [];
  private readonly tailStreams: string[] = [];

  constructor(
    private readonly db: Db,
    private readonly stepId: string,
    private readonly secrets: readonly string[] = [],
    private readonly limits: StepLogLimits = DEFAULT_LOG_LIMITS,
    /** Sees every line the command printed (not the platform's own), as stored: redacted, cut. */
    private readonly observe?: (line: string) => void,
  ) {}

  readonly write = (stream: OutputStream | "system", raw: string): void => {
    const line = this.clean(raw);
    if (stream !== "system") this.observe?.(line);
    this.tailBuffer.push(line);
    this.tailStreams.push(stream);
    if (this.tailBuffer.length > this.limits.tailLines) {
      this.tailBuffer.shift();
      this.tailStreams.shift();
    }
    if (this.seq >= this.limits.maxLines) {
      this.dropped++;
      return;
    }
    this.batch.push({ seq: this.seq++, at: new Date(), stream, line });
    if (this.batch.length >= BATCH_LINES) this.flushBatch();
    else this.timer ??= setTimeout(() => this.flushBatch(), BATCH_DELAY_MS);
  };

  /** The last lines, for the step row. */
  tail(): string {
    return this.tailBuffer.join("\n");
  }

  /** The line of the tail that best shows why the step failed. */
  evidence(): string | undefined {
    return pickEvidence(this.tailBuffer.filter((_, i) => this.tailStreams[i] !== "system"));
  }

  /** Writes what is left; rejects if any write to the store failed. */
  async close(): Promise<void> {
    if (this.dropped > 0) {
      this.batch.push({
        seq: this.seq++,
        at: new Date(),
        stream: "system",
        line: `[... ${this.dropped} more lines not stored: the step log is capped at ${this.limits.maxLines} lines ...]`,
      });
    }
    this.flushBatch();
    await this.writing;
    if (this.writeError) throw this.writeError;
  }

  private flushBatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.batch;
    this.batch = [];
    if (lines.length === 0) return;
    this.writing = this.writing.then(() =>
      appendLogLines(this.db, this.stepId, lines).catch((error) => {
        this.writeError ??= error;
      }),
    );
  }

  private clean(raw: string): string {
    let line = redactSecrets(raw, this.secrets);
    if (line.length > this.limits.maxLineLength) line = cut(line, this.limits.maxLineLength);
    // Postgres text cannot hold NUL.
    return line.replaceAll("\u0000", "");
  }
}

function cut(line: string, max: number): string {
  return `${line.slice(0, max)} [... ${line.length - max} more characters]`;
}
