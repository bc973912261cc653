import path from "node:path";
import { openAppFile } from "./open-inside-app.js";

const READ_CHUNK = 1024 * 1024;

/**
 * Reads a file of the app's as text, refusing one that resolves, through a symbolic link (even
 * one swapped in while the worker reads), outside the app's directory: a repository, or app code
 * run in the sandbox, may plant a link to a file of the worker's (its key file, say) for the
 * worker to read and quote in a log. A link out rejects with code EOUTSIDEAPP; a missing file
 * (or a dangling link) with ENOENT, as readFile does; with `maxBytes`, a larger one with EFBIG
 * (never read past the bound: a sparse file costs the app nothing and reads as gigabytes).
 */
export async function readAppFile(
  appDir: string,
  file: string,
  options: { maxBytes?: number } = {},
): Promise<string> {
  const handle = await openAppFile(appDir, file);
  try {
    if (options.maxBytes === undefined) return await handle.readFile("utf8");
    const tooLarge = () =>
      Object.assign(
        new Error(`${path.relative(appDir, file)} is larger than ${options.maxBytes} bytes`),
        { code: "EFBIG" },
      );
    if ((await handle.stat()).size > options.maxBytes) throw tooLarge();
    // Read to its end, never past maxBytes + 1, whatever it becomes meanwhile.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK, options.maxBytes + 1 - length));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, length);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > options.maxBytes) throw tooLarge();
    }
    return Buffer.concat(chunks, length).toString("utf8");
  } finally {
    await handle.close();
  }
}

/** The file's text, or null when it does not exist (a link out still rejects). */
export async function readOptionalAppFile(appDir: string, file: string): Promise<string | null> {
  try {
    return await readAppFile(appDir, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Whether `file` is a regular file of the app's (resolving, if a link, inside its directory). */
export async function isAppFile(appDir: string, file: string): Promise<boolean> {
  try {
    await (await openAppFile(appDir, file)).close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EOUTSIDEAPP") throw error;
    return false;
  }
}
