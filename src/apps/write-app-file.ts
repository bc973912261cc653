import { realpath, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Writes a file of the worker's into the app's directory without following a link the app
 * planted: the directory must resolve inside the app's directory, and the file is created
 * afresh (never through an existing name). Nothing of the app runs meanwhile: steps are
 * sequential and each one's processes end with it.
 */
export async function writeAppFile(appDir: string, file: string, content: string): Promise<void> {
  const [root, dir] = await Promise.all([realpath(appDir), realpath(path.dirname(file))]);
  const relative = path.relative(root, dir);
  if (relative.startsWith("..") || path.isAbsolute(relative))
    throw new Error(
      `${path.relative(appDir, path.dirname(file))} is a link to a directory outside the app's directory`,
    );
  const target = path.join(dir, path.basename(file));
  await rm(target, { force: true });
  await writeFile(target, content, { flag: "wx" });
}
