import { readdirSync, readFileSync } from "node:fs";

/** One running process as /proc shows it. */
export type ProcessInfo = { pid: number; ppid: number; pgid: number; startTicks: bigint };

/**
 * A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), which together
 * with its pid names it uniquely; null when it is gone, a zombie, or there is no /proc.
 */
export function processStartTicks(pid: number): bigint | null {
  return processInfo(pid)?.startTicks ?? null;
}

/** The live (not zombie) members of a process group. */
export function groupMembers(pgid: number): ProcessInfo[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    const info = processInfo(Number(entry));
    return info && info.pgid === pgid ? [info] : [];
  });
}

/** A running process's group and start time; null when it is gone or a zombie. */
export function processInfo(pid: number): ProcessInfo | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: the rest starts after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [state, ppid, pgid] = fields;
  const startTicks = fields[19];
  if (state === "Z" || state === "X" || pgid === undefined || startTicks === undefined) return null;
  return { pid, ppid: Number(ppid), pgid: Number(pgid), startTicks: BigInt(startTicks) };
}
