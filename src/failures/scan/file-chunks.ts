import type { FileHandle } from "node:fs/promises";

/** Bytes read at a time: large reads cost fewer calls. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * A file's bytes in chunks, read into two buffers in turn: the next chunk is read while the
 * caller works on this one. A chunk is valid until the next is asked for (classifyLogStream
 * reads each before that), so reading a large log allocates nothing per chunk, and the caller
 * seldom waits for the disk. The caller closes the handle.
 */
export async function* fileChunks(
  file: FileHandle,
  options: { from?: number } = {},
): AsyncGenerator<Uint8Array> {
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)] as const;
  // From the file's own position, or from `from` on.
  let position = options.from ?? null;
  const read = (buffer: Buffer) => {
    const reading = file.read(buffer, 0, CHUNK_BYTES, position);
    // Awaited below; until then a failed read must not count as unhandled.
    reading.catch(() => {});
    return reading;
  };
  let next = read(buffers[0]);
  try {
    for (let turn = 0; ; turn ^= 1) {
      const { bytesRead } = await next;
      if (bytesRead === 0) return;
      if (position !== null) position += bytesRead;
      next = read(buffers[turn ^ 1]!);
      yield buffers[turn]!.subarray(0, bytesRead);
    }
  } finally {
    await next.catch(() => {});
  }
}
