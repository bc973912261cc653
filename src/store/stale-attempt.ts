/** One attempt at a deployment: the attempt number is the fencing token of all its writes. */
export type Attempt = { deploymentId: string; attempt: number };

/**
 * A write of an attempt that a newer attempt has replaced (a worker that lost its job but kept
 * running): the write changed nothing, and the attempt must stop.
 */
export class StaleAttemptError extends Error {
  constructor(
    readonly deploymentId: string,
    readonly attempt: number,
    what: string,
  ) {
    super(`attempt ${attempt} of deployment ${deploymentId} is no longer current: ${what} refused`);
    this.name = "StaleAttemptError";
  }
}

/** Throws StaleAttemptError when a fenced write matched no row. */
export function fenced(count: number, attempt: Attempt, what: string): void {
  if (count === 0) throw new StaleAttemptError(attempt.deploymentId, attempt.attempt, what);
}
