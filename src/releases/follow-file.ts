import type { FileHandle } from "node:fs/promises";
import { open, stat } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { setTimeout as sleep } from "node:timers/promises";

const SETTLE_POLL_MS = 5;
const READ_BYTES = 64 * 1024;

/**
 * Reads lines appended to a file, from the start (or byte offset `from`), until stopped: for
 * showing a starting app's output in the start step's log, and for watching a live release's.
 * Call `stop()` to read what is left and end at once; with `settleMs`, it first waits up to
 * that long for the file to grow, and no longer once it has.
 *
 * The file stays open between polls and one buffer serves every read, so an idle poll is a
 * single read returning nothing: a worker follows every release that went live in the last
 * RUNTIME_WATCH_SECONDS, ten times a second each.
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
  let handle: FileHandle | null = null;
  let buffer: Buffer | null = null;
  let stopped = false;
  let wake: (() => void) | undefined;
  const take = (text: string) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  };
  const readMore = async () => {
    // Not there yet: the next poll tries again.
    handle ??= await open(file, "r").catch(() => null);
    if (!handle) return;
    buffer ??= Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      take(decoder.write(buffer.subarray(0, bytesRead)));
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await readMore();
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
        await readMore();
        if (options.settleMs) {
          const until = Date.now() + options.settleMs;
          while (Date.now() < until && !(await grownPast(file, offset)))
            await sleep(SETTLE_POLL_MS);
          await readMore();
        }
      } finally {
        await handle?.close();
        handle = null;
      }
      take(decoder.end());
      if (partial) onLine(partial);
      partial = "";
    },
  };
}

async function grownPast(file: string, offset: number): Promise<boolean> {
  const size = await stat(file).then(
    (found) => found.size,
    () => 0,
  );
  return size > offset;
}
