import { FAILURE_CODES, type FailureCode } from "./codes.js";

/** What a step throws when it fails: a stable code, the message built from the catalogue. */
export class StepFailure extends Error {
  readonly hint: string;
  readonly retryable: boolean;

  constructor(
    readonly code: FailureCode,
    readonly detail: string,
    readonly facts: { exitCode?: number | null; signal?: string | null; evidence?: string } = {},
    options?: ErrorOptions,
  ) {
    super(`${FAILURE_CODES[code].title}: ${detail}`, options);
    this.name = "StepFailure";
    this.hint = FAILURE_CODES[code].hint;
    this.retryable = FAILURE_CODES[code].retryable;
  }
}
