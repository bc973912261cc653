import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves once this process has gone quiet: a window of `windowMs` in which all its threads
 * together used less than `busyShare` of one CPU (true), or after `maxMs`, whatever it is
 * doing (false). For a few hundred milliseconds after its imports a fresh Node process goes on
 * compiling and collecting on V8's background threads (Prisma's query compiler alone is a large WebAssembly
 * module); a worker meets a deploy's step long after its own start, so a step timed at once
 * would be charged with the process's start-up, on the cores the step's command needs.
 */
export async function settle({ windowMs = 100, busyShare = 0.05, maxMs = 3_000 } = {}) {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    const before = process.cpuUsage();
    await sleep(windowMs);
    const { user, system } = process.cpuUsage(before);
    if ((user + system) / 1000 < windowMs * busyShare) return true;
  }
  return false;
}
