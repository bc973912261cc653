import { readFileSync } from "node:fs";
import { groupMembers } from "./process-identity.js";

/**
 * The resident memory of a process group's live members, summed (VmRSS of /proc/<pid>/status,
 * in bytes): pages shared between members count once per member, so it overstates a little.
 * Null when the group has no member left.
 */
export function groupRssBytes(pgid: number): number | null {
  const members = groupMembers(pgid);
  if (members.length === 0) return null;
  let total = 0;
  for (const { pid } of members) total += rssBytes(pid);
  return total;
}

/** One process's VmRSS in bytes; 0 for a kernel thread or one gone meanwhile. */
function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? 0 : Number(kib) * 1024;
  } catch {
    return 0;
  }
}
