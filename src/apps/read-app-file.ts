import { openAppFile } from "./open-inside-app.js";

/**
 * Reads a file of the app's as text, refusing one that resolves, through a symbolic link (even
 * one swapped in while the worker reads), outside the app's directory: a repository, or app code
 * run in the sandbox, may plant a link to a file of the worker's (its key file, say) for the
 * worker to read and quote in a log. A link out rejects with code EOUTSIDEAPP; a missing file
 * (or a dangling link) with ENOENT, as readFile does.
 */
export async function readAppFile(appDir: string, file: string): Promise<string> {
  const handle = await openAppFile(appDir, file);
  try {
    return await handle.readFile("utf8");
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
