import { readFile } from "node:fs/promises";

/**
 * CPU seconds the whole machine has spent busy since boot (/proc/stat: user, nice, system, irq
 * and softirq time of every CPU). The difference over a run is the CPU every process used in
 * it, Postgres and the apps included: on a saturated machine, what the wall time follows.
 */
export async function machineCpuSeconds(): Promise<number> {
  const first = (await readFile("/proc/stat", "utf8")).split("\n", 1)[0]!;
  const [user, nice, system, , , irq, softirq] = first.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq!) / 100; // USER_HZ is 100 on Linux
}
