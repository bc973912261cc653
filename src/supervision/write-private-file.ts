import { randomBytes } from "node:crypto";
import { chmod, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Replaces `file` with `text` at once, readable by its owner only (`mode`, e.g. 0o600): a reader
 * (supervisord rereading its configuration) sees the old file or the new one, never half of one.
 */
export async function writePrivateFile(file: string, text: string, mode: number): Promise<void> {
  // A dot name ending in neither .conf nor .sh: supervisord's include glob never picks it up.
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`,
  );
  try {
    await writeFile(temporary, text, { mode, flag: "wx" });
    await chmod(temporary, mode); // the process umask may have narrowed the mode; never widened
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
