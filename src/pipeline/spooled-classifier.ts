import { randomUUID } from "node:crypto";
import { type FileHandle, mkdir, open, unlink } from "node:fs/promises";
import path from "node:path";
import { OutputFile } from "../exec/output-file.js";
import type { StepExit } from "../failures/classification.js";
import { type Classification, type Classifier, createClassifier } from "../failures/classify.js";
import { fileChunks } from "../failures/scan/file-chunks.js";
import type { Logger } from "../logger.js";
import { cleanLogText } from "../secrets/redact-secrets.js";
import type { FailureStep } from "./step-names.js";

export type SpoolOptions = {
  /** Where the spool files are made (and at once unlinked): the worker's own, no app's. */
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
// Turns between stdout and the rest remembered at most; past them the spool is read in, as past
// its size limit (a command alternating streams line by line would otherwise grow the list).
const MAX_SEGMENTS = 100_000;
// Stdout classified as it came, and so not needed on disk, past which its space is freed.
const RELEASE_BYTES = 64 * 1024 * 1024;
const NEWLINE = Buffer.from("\n");

/**
 * A step's classifier that reads the step's output only if the step fails. Most steps succeed,
 * and reading every byte of a long log as it comes costs the worker more CPU than the command
 * takes to print it. So the output is spooled, in two files opened and at once unlinked in the
 * worker's data directory (no app can reach them, and a worker that dies leaves nothing behind):
 * `stdoutFile`, which the step's commands write their stdout into themselves (see
 * output-file.ts), and a spool the worker writes everything else into (stderr, and the lines it
 * reports for the app). The order the two came in is kept as a list of turns, and `classify()`
 * reads both back in that order.
 *
 * Past `limitBytes`, the spool is read into the classifier (the command's output waits
 * meanwhile) and the rest is classified as it comes: disk use stays bounded, and the verdict
 * is the same either way. Should a spool fail to open or to take a write, the same happens
 * from there on.
 */
export class SpooledClassifier {
  private file: FileHandle | undefined;
  private stdout: OutputFile | undefined;
  /** Bytes in the spool, written and confirmed. */
  private spooled = 0;
  /** Output not yet in the spool, in order. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  /** Output that came while the spool was being read in, classified next. */
  private later: Buffer[] = [];
  /** The order output came in: bytes of the spool (> 0) and of stdoutFile (< 0) in turn. */
  private segments: number[] = [];
  /** Bytes of stdoutFile whose space has been freed, and whether freeing works. */
  private released = 0;
  private releasing: Promise<void> | undefined;
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

  /** Where the step's commands write their stdout; undefined: through a pipe, to `write`. */
  get stdoutFile(): OutputFile | undefined {
    return this.stdout;
  }

  static async open(step: FailureStep, options: SpoolOptions): Promise<SpooledClassifier> {
    if (options.limitBytes <= 0) return new SpooledClassifier(step, options, undefined);
    const name = path.join(options.dir, randomUUID());
    let handle: FileHandle | undefined;
    try {
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      // O_EXCL: never through a link planted at that name.
      handle = await open(`${name}.log`, "wx+", 0o600);
      await unlink(`${name}.log`);
      const created = new SpooledClassifier(step, options, handle);
      created.stdout = await OutputFile.create(`${name}.out`, {
        onRead: (bytes) => created.followed(bytes),
        onUnterminated: () => created.write(NEWLINE),
      });
      return created;
    } catch (error) {
      await handle?.close();
      options.logger?.warn(
        { err: error, dir: options.dir },
        "could not open a spool for the step's output: classifying it as it comes",
      );
      return new SpooledClassifier(step, options, undefined);
    }
  }

  /**
   * Whole lines of the step's output, each ending in "\n", that did not go to stdoutFile.
   * Returns a promise when the output should wait for it before more is written.
   */
  write(bytes: Buffer): Promise<void> | undefined {
    if (this.goingLive) {
      this.later.push(bytes);
      return this.goingLive;
    }
    if (!this.file) {
      this.live().write(bytes);
      return undefined;
    }
    this.turn(bytes.length);
    this.waiting.push(bytes);
    this.waitingBytes += bytes.length;
    if (this.overLimit()) return this.goLive();
    if (this.waitingBytes >= BATCH_BYTES) this.flush();
    return this.waitingBytes > MAX_WAITING_BYTES ? this.writing : undefined;
  }

  /** Settles when stdout read from stdoutFile may be handed on again (see `write`). */
  pending(): Promise<void> | undefined {
    return this.goingLive;
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
    await this.releasing;
    await this.file?.close();
    this.file = undefined;
    await this.stdoutFile?.close();
  }

  /** Bytes the command wrote to stdoutFile, as they are read from it (valid only now). */
  private followed(bytes: Buffer): void {
    if (this.goingLive) {
      this.later.push(Buffer.from(bytes));
      return;
    }
    if (!this.file) {
      this.live().write(bytes);
      this.release();
      return;
    }
    this.turn(-bytes.length);
    if (this.overLimit()) this.goLive();
  }

  private turn(bytes: number): void {
    const last = this.segments.length - 1;
    if (last >= 0 && Math.sign(this.segments[last]!) === Math.sign(bytes))
      this.segments[last]! += bytes;
    else this.segments.push(bytes);
  }

  private overLimit(): boolean {
    const stdout = this.stdoutFile?.bytesRead ?? 0;
    return (
      this.spooled + this.waitingBytes + stdout > this.options.limitBytes ||
      this.segments.length > MAX_SEGMENTS
    );
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
          // The spool holds what was confirmed; the rest is read in from memory.
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

  /** Reads the spool into the classifier, then what came meanwhile; from then on, output. */
  private goLive(): Promise<void> {
    this.goingLive ??= this.readSpool().finally(() => {
      this.goingLive = undefined;
      const classifier = this.live();
      for (const bytes of this.later) classifier.write(bytes);
      this.later = [];
      this.release();
    });
    return this.goingLive;
  }

  private async readSpool(): Promise<void> {
    await this.writing;
    const file = this.file;
    this.file = undefined;
    const segments = this.segments;
    this.segments = [];
    const inMemory = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    if (!file) return;
    const classifier = this.live();
    const write = (chunk: Uint8Array) => classifier.write(chunk);
    let spoolAt = 0;
    let stdoutAt = 0;
    try {
      for (const segment of segments) {
        if (segment < 0) {
          await readRange(this.stdoutFile!.file, stdoutAt, -segment, write);
          stdoutAt -= segment;
          continue;
        }
        // The spool's confirmed bytes first, then those its writes never confirmed.
        const fromDisk = Math.min(segment, this.spooled - spoolAt);
        await readRange(file, spoolAt, fromDisk, write);
        spoolAt += fromDisk;
        for (let left = segment - fromDisk; left > 0; ) {
          const bytes = inMemory[0]!;
          const taken = bytes.subarray(0, left);
          write(taken);
          left -= taken.length;
          if (taken.length === bytes.length) inMemory.shift();
          else inMemory[0] = bytes.subarray(taken.length);
        }
      }
    } catch (error) {
      this.options.logger?.warn({ err: error }, "could not read back the step's output spool");
    } finally {
      await file.close();
    }
  }

  /** Frees the disk space of stdout already classified, once there is enough of it. */
  private release(): void {
    const stdout = this.stdoutFile;
    if (!stdout || this.releasing || this.released < 0) return;
    const upTo = stdout.bytesRead;
    if (upTo - this.released < RELEASE_BYTES) return;
    this.releasing = stdout
      .release(upTo)
      .then(
        () => {
          this.released = upTo;
        },
        (error: unknown) => {
          this.released = -1;
          this.options.logger?.warn(
            { err: error },
            "could not free the disk space of a step's classified stdout: it stays until the step ends",
          );
        },
      )
      .finally(() => {
        this.releasing = undefined;
      });
  }
}

/** Hands `length` bytes of `file` from `from` on to `write`. */
async function readRange(
  file: FileHandle,
  from: number,
  length: number,
  write: (chunk: Uint8Array) => void,
): Promise<void> {
  if (length <= 0) return;
  let left = length;
  for await (const chunk of fileChunks(file, { from })) {
    write(chunk.length > left ? chunk.subarray(0, left) : chunk);
    left -= chunk.length;
    if (left <= 0) return;
  }
  throw new Error(`the spool ended ${left} bytes short`);
}
