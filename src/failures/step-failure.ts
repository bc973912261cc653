import { FAILURE_CODES, type FailureCode, failureCodeEntry } from "./codes.js";

/** What a step throws when it fails: a stable code, the message built from the catalogue. */
export class StepFailure extends Error {
  readonly hint: string;
  readonly retryable: boolean;

  constructor(
    readonly code: FailureCode,
    readonly detail: string,
    readonly facts: {
      exitCode?: number | null;
      signal?: string | null;
      evidence?: string;
      /** The form of the failure whose fix differs: a key of the code's `variants`. */
      variant?: string;
    } = {},
    options?: ErrorOptions,
  ) {
    super(`${FAILURE_CODES[code].title}: ${detail}`, options);
    this.name = "StepFailure";
    const variants: Record<string, string> | undefined = failureCodeEntry(code).variants;
    this.hint = (facts.variant && variants?.[facts.variant]) || FAILURE_CODES[code].hint;
    this.retryable = FAILURE_CODES[code].retryable;
  }
}
