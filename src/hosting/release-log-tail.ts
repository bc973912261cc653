import { constants } from "node:fs";
import { open } from "node:fs/promises";

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

/**
 * The last `maxBytes` of a release's log, from its first whole line; "" when there is no such
 * regular file. The worker reads it as root: the name is opened without following a link at
 * its last step (O_NOFOLLOW) and only a regular file is read (O_NONBLOCK, so a FIFO put there
 * never blocks the open).
 */
export async function readLogTail(file: string, maxBytes: number): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return "";
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return "";
    const start = Math.max(0, stat.size - maxBytes);
    const buffer = Buffer.alloc(stat.size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    // Cut inside a line (and perhaps a character): that line is not whole, so it is left out.
    return start === 0 ? text : text.slice(text.indexOf("\n") + 1);
  } finally {
    await handle.close();
  }
}
