import { execFile } from "node:child_process";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { type FileHandle, open, unlink } from "node:fs/promises";
import { promisify } from "node:util";

// A read takes up to this much, always into the same buffer: a new one per read cost more in
// page faults and garbage collection than the read itself.
const READ_BYTES = 1024 * 1024;

export type OutputFileReader = {
  /** Bytes the command wrote, in order, as `next()` reads them (valid only during the call). */
  onRead(bytes: Buffer): void;
  /** A command ended on a line without its newline (the file does not hold one). */
  onUnterminated(): void;
};

/**
 * A file that commands write their stdout into, in place of a pipe the worker drains. Through a
 * pipe (Node's is a socket holding about 200 KB) a chatty command stops each time the worker is
 * busy, and every byte is copied twice more; into a file, the command writes as it would to
 * `> file`, and the worker reads behind it. Made in a directory of the worker's own and unlinked
 * at once: a command gets only a descriptor open for appending, and a worker that dies leaves
 * nothing behind. One command writes into it at a time; each one's bytes follow the last's.
 */
export class OutputFile {
  private position = 0;
  private lastByte = 0x0a;
  private buffer: Buffer | undefined;

  private constructor(
    /** Given to the command as its stdout. */
    readonly writeFd: number,
    private readonly handle: FileHandle,
    private readonly reader: OutputFileReader,
  ) {}

  /** Makes the file at `file` (never through a link planted there) and unlinks it. */
  static async create(file: string, reader: OutputFileReader): Promise<OutputFile> {
    const handle = await open(file, "wx+", 0o600);
    let writeFd: number | undefined;
    try {
      writeFd = openSync(file, "a");
      await unlink(file);
      return new OutputFile(writeFd, handle, reader);
    } catch (error) {
      if (writeFd !== undefined) closeSync(writeFd);
      await handle.close();
      await unlink(file).catch(() => {});
      throw error;
    }
  }

  /** Bytes written so far. */
  size(): number {
    return fstatSync(this.handle.fd).size;
  }

  /** Bytes read so far; the file holds them from offset 0 on. */
  get bytesRead(): number {
    return this.position;
  }

  /**
   * The next bytes written, handed to the reader too, or undefined if there are none yet. A
   * synchronous read: the file is local and in the page cache, and a hand-over to the thread
   * pool would cost more than the read. The bytes are valid until the next call: whoever keeps
   * some copies them.
   */
  next(): Buffer | undefined {
    this.buffer ??= Buffer.allocUnsafe(READ_BYTES);
    const read = readSync(this.handle.fd, this.buffer, 0, READ_BYTES, this.position);
    if (read === 0) return undefined;
    this.position += read;
    const bytes = this.buffer.subarray(0, read);
    this.lastByte = bytes[read - 1]!;
    this.reader.onRead(bytes);
    return bytes;
  }

  /** The command writing into the file has ended, and everything it wrote has been read. */
  commandEnded(): void {
    if (this.lastByte !== 0x0a) this.reader.onUnterminated();
    this.lastByte = 0x0a;
  }

  /** The file itself, for reading back what was read (by offset). */
  get file(): FileHandle {
    return this.handle;
  }

  /**
   * Frees the disk space of the bytes before `upTo` (already read and no longer needed), while
   * the offsets of the rest stay as they are: a hole is punched, as the file is still being
   * appended to. Needs util-linux's fallocate and a file system that punches holes (ext4, xfs,
   * btrfs, tmpfs).
   */
  async release(upTo: number): Promise<void> {
    await execFileAsync("fallocate", [
      "--punch-hole",
      "--offset",
      "0",
      "--length",
      String(upTo),
      `/proc/${process.pid}/fd/${this.handle.fd}`,
    ]);
  }

  async close(): Promise<void> {
    closeSync(this.writeFd);
    await this.handle.close();
  }
}

const execFileAsync = promisify(execFile);
