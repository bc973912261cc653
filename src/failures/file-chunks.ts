import type { FileHandle } from "node:fs/promises";

/** Bytes read at a time: large reads cost fewer calls, and one buffer serves them all. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * A file's bytes in chunks, all read into one buffer: a chunk is valid until the next is asked
 * for (classifyLogStream reads each before that), so reading a large log allocates nothing per
 * chunk. The caller closes the handle.
 */
export async function* fileChunks(
  file: FileHandle,
  options: { from?: number } = {},
): AsyncGenerator<Uint8Array> {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  // From the file's own position, or from `from` on.
  let position = options.from ?? null;
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, position);
    if (bytesRead === 0) return;
    if (position !== null) position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}
