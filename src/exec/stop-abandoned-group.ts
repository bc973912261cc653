import { setTimeout as sleep } from "node:timers/promises";
import { groupMembers } from "./process-identity.js";

export type AbandonedGroupStop = "killed" | "gone" | "not-ours";

const WAIT_MS = 5_000;

/**
 * Kills what is left of a process group a dead worker started, identified by its leader's pid
 * and start time: a group whose leader is another process now (the pid was recycled), or that
 * holds processes older than the leader was, is not ours and is left alone.
 */
export async function stopAbandonedGroup(
  pgid: number,
  startTicks: bigint,
): Promise<AbandonedGroupStop> {
  const members = groupMembers(pgid);
  if (members.length === 0) return "gone";
  const leader = members.find((member) => member.pid === pgid);
  const ours = leader
    ? leader.startTicks === startTicks
    : members.every((member) => member.startTicks >= startTicks);
  if (!ours) return "not-ours";
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    return "gone";
  }
  const deadline = Date.now() + WAIT_MS;
  while (groupMembers(pgid).length > 0 && Date.now() < deadline) await sleep(50);
  return "killed";
}
