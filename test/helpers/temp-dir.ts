import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** The directories this test file made with tempDir, not yet removed. */
const made: string[] = [];

// Registered when a test file first imports this module (directly or through a helper), so a
// file's temporary directories go when it ends, whatever its own hooks do. It runs before the
// file's own afterAll: only directories nothing needs at teardown belong here (a stack's data
// directory, which its releases run from, is removed by close()). Outside Jest (the bench
// imports the helpers) there is no afterAll, and nothing is registered.
(globalThis as { afterAll?: (fn: () => Promise<void>) => void }).afterAll?.(removeTempDirs);

/** A new directory under the OS's temporary directory, removed when the test file is done. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory tempDir made so far; KEEP_TEST_DIRS=1 keeps them, for inspection. */
export async function removeTempDirs(): Promise<void> {
  if (process.env.KEEP_TEST_DIRS === "1") return;
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
