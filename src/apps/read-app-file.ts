import { readFile, realpath } from "node:fs/promises";
import path from "node:path";

/**
 * Reads a file of the app's as text, refusing one that resolves, through a symbolic link,
 * outside the app's directory: a repository, or app code run in the sandbox, may plant a link
 * to a file of the worker's (its key file, say) for the worker to read and quote in a log.
 * A missing file (or a dangling link) rejects with ENOENT, as readFile does.
 */
export async function readAppFile(appDir: string, file: string): Promise<string> {
  const [root, target] = await Promise.all([realpath(appDir), realpath(file)]);
  const relative = path.relative(root, target);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw Object.assign(
      new Error(`${path.relative(appDir, file)} is a link to a file outside the app's directory`),
      { code: "EOUTSIDEAPP" },
    );
  }
  return readFile(target, "utf8");
}
