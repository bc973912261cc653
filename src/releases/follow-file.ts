import { open, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

const SETTLE_POLL_MS = 5;

/**
 * Reads lines appended to a file, from the start (or byte offset `from`), until stopped: for
 * showing a starting app's output in the start step's log. Call `stop()` to read what is left
 * and end at once; with `settleMs`, it first waits up to that long for the file to grow, and
 * no longer once it has.
 */
export function followFile(
  file: string,
  onLine: (line: string) => void,
  intervalMs = 100,
  from = 0,
) {
  let offset = from;
  let partial = "";
  let stopped = false;
  let wake: (() => void) | undefined;
  const readMore = async () => {
    const handle = await open(file, "r").catch(() => null);
    if (!handle) return;
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        const lines = (partial + buffer.subarray(0, bytesRead).toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) onLine(line);
      }
    } finally {
      await handle.close();
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
      await loop;
      await readMore();
      if (options.settleMs) {
        const until = Date.now() + options.settleMs;
        while (Date.now() < until && !(await grownPast(file, offset))) await sleep(SETTLE_POLL_MS);
        await readMore();
      }
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
