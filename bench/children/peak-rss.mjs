import { readFileSync } from "node:fs";

/** This process's peak resident set (VmHWM) in MB: what the kernel saw, whatever the heap did. */
export function peakRssMb() {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
  return Number.isNaN(kb) ? process.memoryUsage().rss / 2 ** 20 : kb / 1024;
}
