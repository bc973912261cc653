import { readFile } from "node:fs/promises";
import { waitFor } from "./wait-for.js";

/**
 * The pid a blocking fixture app writes to `file` (test/fixtures/apps/blocking-app), once it is
 * there in full: a file that merely exists may still be empty, and Number("") is 0, a pid no
 * check of "is it gone" can fail on.
 */
export function readyPid(what: string, file: string, timeoutMs = 60_000): Promise<number> {
  return waitFor(
    what,
    async () => {
      const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
      return Number.isInteger(pid) && pid > 0 && pid;
    },
    timeoutMs,
  );
}
