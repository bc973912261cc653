/** Why a running deploy is being stopped from outside: the reason given to its AbortSignal. */
export type Interruption = "shutdown" | "cancel";

export class StepInterrupted extends Error {
  constructor(readonly reason: Interruption) {
    super(reason === "cancel" ? "the deploy was cancelled" : "the worker is shutting down");
    this.name = "StepInterrupted";
  }
}

export function interruptionOf(signal: AbortSignal): Interruption {
  return signal.reason === "cancel" ? "cancel" : "shutdown";
}
