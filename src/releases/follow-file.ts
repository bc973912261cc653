import { closeSync, openSync, readSync, statSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";

const SETTLE_POLL_MS = 5;
const READ_BYTES = 64 * 1024;
// What one turn of the event loop reads before the others get theirs.
const BYTES_PER_TURN = 1024 * 1024;

/**
 * Reads lines appended to a file, from the start (or byte offset `from`), until stopped: for
 * showing a starting app's output in the start step's log, and for watching a live release's.
 * Call `stop()` to read what is left and end at once; with `settleMs`, it first waits up to
 * that long for the file to grow, and no longer once it has.
 *
 * A worker follows every release that went live in the last RUNTIME_WATCH_SECONDS, several
 * times a second each, so an idle poll must cost next to nothing: the file stays open, one
 * buffer serves every read, and reads are synchronous (a local file, in the page cache: a
 * read on the thread pool cost far more to hand over and back than the read itself).
 */
export function followFile(
  file: string,
  onLine: (line: string) => void,
  intervalMs = 100,
  from = 0,
) {
  let offset = from;
  let partial = "";
  // A character split between two reads is decoded whole, with the second.
  const decoder = new StringDecoder("utf8");
  let fd: number | null = null;
  let buffer: Buffer | null = null;
  let stopped = false;
  let wake: (() => void) | undefined;
  const take = (text: string) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  };
  /** Reads what was appended, up to a turn's share; true when there may be more. */
  const readSome = (): boolean => {
    fd ??= openOrNull(file); // not there yet: the next poll tries again
    if (fd === null) return false;
    buffer ??= Buffer.allocUnsafe(READ_BYTES);
    for (let read = 0; read < BYTES_PER_TURN; ) {
      const bytesRead = readSync(fd, buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return false;
      offset += bytesRead;
      read += bytesRead;
      take(decoder.write(buffer.subarray(0, bytesRead)));
    }
    return true;
  };
  const readAll = async () => {
    while (readSome()) await nextTurn();
  };
  const loop = (async () => {
    while (!stopped) {
      await readAll();
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    async stop(options: { settleMs?: number } = {}) {
      stopped = true;
      // Not a poll interval later: a start step ends as soon as its app is healthy.
      wake?.();
      try {
        await loop;
        await readAll();
        if (options.settleMs) {
          const until = Date.now() + options.settleMs;
          while (Date.now() < until && !grownPast(file, offset)) await sleep(SETTLE_POLL_MS);
          await readAll();
        }
      } finally {
        if (fd !== null) closeSync(fd);
        fd = null;
      }
      take(decoder.end());
      if (partial) onLine(partial);
      partial = "";
    },
  };
}

function openOrNull(file: string): number | null {
  try {
    return openSync(file, "r");
  } catch {
    return null;
  }
}

function grownPast(file: string, offset: number): boolean {
  return (statSync(file, { throwIfNoEntry: false })?.size ?? 0) > offset;
}
