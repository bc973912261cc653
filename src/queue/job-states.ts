import type { JobState } from "bullmq";

/** The BullMQ states in which a job is still held by its queue: it will run, or is running. */
export const HELD_JOB_STATES = [
  "waiting",
  "active",
  "delayed",
  "prioritized",
  "waiting-children",
] as const satisfies readonly JobState[];

/** The BullMQ states of a job that ran to its end; Redis keeps such jobs until they are cleaned. */
export const FINISHED_JOB_STATES = ["completed", "failed"] as const satisfies readonly JobState[];

export type FinishedJobState = (typeof FINISHED_JOB_STATES)[number];

/** Whether a job in this state (as Job.getState answers) is still held by its queue. */
export function isHeldJobState(state: string): boolean {
  return (HELD_JOB_STATES as readonly string[]).includes(state);
}
