import { constants } from "node:fs";
import { cp } from "node:fs/promises";
import path from "node:path";

/**
 * Copies a kept release directory into a new attempt's own directory, leaving the original as
 * it is: timestamps and symlinks (node_modules/.bin) kept, copy-on-write where the filesystem
 * can, the platform's `.coduck/` (the old release's log) left behind.
 */
export async function copyRelease(source: string, target: string): Promise<void> {
  const platformDir = path.join(source, ".coduck");
  await cp(source, target, {
    recursive: true,
    errorOnExist: true,
    force: false,
    preserveTimestamps: true,
    verbatimSymlinks: true,
    mode: constants.COPYFILE_FICLONE,
    filter: (from) => from !== platformDir,
  });
}
