import { randomUUID } from "node:crypto";
import { type FileHandle, mkdir, open, unlink } from "node:fs/promises";
import path from "node:path";
import type { StepExit } from "../failures/classification.js";
import { type Classification, type Classifier, createClassifier } from "../failures/classify.js";
import { fileChunks } from "../failures/file-chunks.js";
import type { FailureStep } from "../failures/step-names.js";
import type { Logger } from "../logger.js";
import { cleanLogText } from "./redact-secrets.js";

export type SpoolOptions = {
  /** Where the spool file is made (and at once unlinked): the worker's own, no app's. */
  dir: string;
  /** Bytes spooled at most; past them the output is classified as it comes. 0: never spool. */
  limitBytes: number;
  /** Redacted from every line the verdict quotes. */
  secrets: readonly string[];
  logger?: Logger;
};

// Bytes gathered before one write, and waiting past which the command's output waits.
const BATCH_BYTES = 1024 * 1024;
const MAX_WAITING_BYTES = 8 * 1024 * 1024;

/**
 * A step's classifier that reads the step's output only if the step fails. Most steps succeed,
 * and reading every byte of a long log as it comes costs the worker more CPU than the command
 * takes to print it. So the output's bytes (whole lines, both streams in the order they came)
 * go to a spool file, opened and at once unlinked in the worker's data directory: no app can
 * reach it, and a worker that dies leaves nothing behind. `classify()` reads it back.
 *
 * Past `limitBytes`, the spool is read into the classifier (the command's output waits
 * meanwhile) and the rest is classified as it comes: disk use stays bounded, and the verdict
 * is the same either way. Should the spool fail to open or to take a write, the same happens
 * from there on.
 */
export class SpooledClassifier {
  private file: FileHandle | undefined;
  /** Bytes in the spool, written and confirmed. */
  private spooled = 0;
  /** Output not yet in the spool (or, while going live, not yet classified), in order. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private writing: Promise<void> | undefined;
  private goingLive: Promise<void> | undefined;
  private classifier: Classifier | undefined;

  private constructor(
    private readonly step: FailureStep,
    private readonly options: SpoolOptions,
    file: FileHandle | undefined,
  ) {
    this.file = file;
  }

  static async open(step: FailureStep, options: SpoolOptions): Promise<SpooledClassifier> {
    if (options.limitBytes <= 0) return new SpooledClassifier(step, options, undefined);
    const file = path.join(options.dir, `${randomUUID()}.log`);
    try {
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      // O_EXCL: never through a link planted at that name.
      const handle = await open(file, "wx+", 0o600);
      await unlink(file).catch(async (error) => {
        await handle.close();
        throw error;
      });
      return new SpooledClassifier(step, options, handle);
    } catch (error) {
      options.logger?.warn(
        { err: error, dir: options.dir },
        "could not open a spool for the step's output: classifying it as it comes",
      );
      return new SpooledClassifier(step, options, undefined);
    }
  }

  /**
   * Whole lines of the step's output, each ending in "\n". Returns a promise when the output
   * should wait for it before more is written.
   */
  write(bytes: Buffer): Promise<void> | undefined {
    if (this.goingLive) {
      this.queue(bytes);
      return this.goingLive;
    }
    if (!this.file) {
      this.live().write(bytes);
      return undefined;
    }
    if (this.spooled + this.waitingBytes + bytes.length > this.options.limitBytes) {
      this.queue(bytes);
      return this.goLive();
    }
    this.queue(bytes);
    if (this.waitingBytes >= BATCH_BYTES) this.flush();
    return this.waitingBytes > MAX_WAITING_BYTES ? this.writing : undefined;
  }

  /** The verdict on the whole output, once the command has ended. */
  async classify(exit: StepExit): Promise<Classification> {
    await this.goLive();
    return this.live().finish(exit);
  }

  /** Lets go of the spool; its output is not classified. */
  async close(): Promise<void> {
    await this.goingLive;
    await this.writing;
    await this.file?.close();
    this.file = undefined;
  }

  private queue(bytes: Buffer): void {
    this.waiting.push(bytes);
    this.waitingBytes += bytes.length;
  }

  private live(): Classifier {
    this.classifier ??= createClassifier(this.step, {
      redact: (text, cut) => cleanLogText(text, this.options.secrets, cut),
    });
    return this.classifier;
  }

  /** Writes what is waiting, unless a write is on its way: what waits then goes next. */
  private flush(): void {
    const file = this.file;
    if (!file || this.writing || this.goingLive || this.waiting.length === 0) return;
    const batch = this.waiting;
    const bytes = this.waitingBytes;
    this.waiting = [];
    this.waitingBytes = 0;
    this.writing = file
      .writev(batch, this.spooled)
      .then(
        ({ bytesWritten }) => {
          if (bytesWritten !== bytes) throw new Error(`wrote ${bytesWritten} of ${bytes} bytes`);
          this.spooled += bytes;
        },
        (error: unknown) => {
          // The spool holds what was confirmed; the batch is classified as it comes instead.
          this.options.logger?.warn(
            { err: error },
            "could not write the step's output to its spool: classifying it as it comes",
          );
          this.waiting.unshift(...batch);
          this.waitingBytes += bytes;
          this.goLive();
        },
      )
      .finally(() => {
        this.writing = undefined;
        if (this.waitingBytes >= BATCH_BYTES) this.flush();
      });
  }

  /** Reads the spool into the classifier, then what waits; from then on output goes to it. */
  private goLive(): Promise<void> {
    this.goingLive ??= this.readSpool().finally(() => {
      this.goingLive = undefined;
      const classifier = this.live();
      for (const bytes of this.waiting) classifier.write(bytes);
      this.waiting = [];
      this.waitingBytes = 0;
    });
    return this.goingLive;
  }

  private async readSpool(): Promise<void> {
    await this.writing;
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    const classifier = this.live();
    try {
      let left = this.spooled;
      for await (const chunk of fileChunks(file, { from: 0 })) {
        if (left <= 0) break;
        classifier.write(chunk.length > left ? chunk.subarray(0, left) : chunk);
        left -= chunk.length;
      }
    } catch (error) {
      this.options.logger?.warn({ err: error }, "could not read back the step's output spool");
    } finally {
      await file.close();
    }
  }
}
