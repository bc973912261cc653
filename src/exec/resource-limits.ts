/**
 * What one box (a build step's command or a release) may use of the host: memory, processes
 * and a share of the CPU. Enforced by a cgroup of its own (box-cgroup.ts, in the launcher).
 * Imports nothing but node: modules: the launcher reads it too.
 */

export type ResourceLimits = {
  /** Memory (and swap: none beyond it) of everything in the box, relay included, in bytes. */
  memoryBytes: number;
  /** Processes and threads in the box at once (a Node process counts ~10: its threads). */
  pids: number;
  /** CPU weight against other boxes when the CPU is contended; 1024 is the kernel's default. */
  cpuShares: number;
};

const MiB = 1024 * 1024;

/**
 * The limits a box gets when the project sets none. 1 GiB fits the builds of ordinary Node
 * apps (tsc, next build, a bundler) and a running app with room to spare, while several boxes
 * at once still leave a small host its memory. 512 processes is ~40 Node processes (each
 * counts its threads), far beyond a parallel install's or a test runner's, and stops a fork
 * bomb long before the host's own limit. cpu shares 1024 is the kernel's default weight: each
 * box counts as much as any other process group, so none can starve the others or the worker.
 */
export const DEFAULT_LIMITS: ResourceLimits = Object.freeze({
  memoryBytes: 1024 * MiB,
  pids: 512,
  cpuShares: 1024,
});

/** The smallest limits a box can start under: its relay alone is a Node process (~40 MiB, ~10 threads). */
const FLOOR = { memoryBytes: 64 * MiB, pids: 16 };
/** cgroup v1's range for cpu.shares. */
const CPU_SHARES = { min: 2, max: 262_144 };

/** The same limits if each is an integer the kernel takes and a box can start under; throws naming the one that is not. */
export function checkedLimits(limits: ResourceLimits): ResourceLimits {
  const { memoryBytes, pids, cpuShares } = limits;
  if (!Number.isSafeInteger(memoryBytes) || memoryBytes < FLOOR.memoryBytes)
    throw new Error(
      `memory limit ${memoryBytes}: must be a whole number of bytes, at least ${inMiB(FLOOR.memoryBytes)}`,
    );
  if (!Number.isSafeInteger(pids) || pids < FLOOR.pids)
    throw new Error(`process limit ${pids}: must be a whole number, at least ${FLOOR.pids}`);
  if (!Number.isSafeInteger(cpuShares) || cpuShares < CPU_SHARES.min || cpuShares > CPU_SHARES.max)
    throw new Error(
      `cpu shares ${cpuShares}: must be a whole number from ${CPU_SHARES.min} to ${CPU_SHARES.max}`,
    );
  return { memoryBytes, pids, cpuShares };
}

/** A memory size in MiB, as the limit is named in a log line: `64 MiB`, `1536 MiB`. */
export function inMiB(bytes: number): string {
  return `${Math.round((bytes / MiB) * 10) / 10} MiB`;
}

/** The line the launcher prints when the kernel killed something in the box for memory. */
export function outOfMemoryLine(limits: ResourceLimits): string {
  return `box: out of memory: killed at the ${inMiB(limits.memoryBytes)} limit`;
}

/** outOfMemoryLine's lines, for the failure classifier (failures/rules/memory.ts). */
export const OUT_OF_MEMORY_LINE = /^box: out of memory: killed at the [\d.]+ MiB limit$/;
