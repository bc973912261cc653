import { UsageError } from "../errors.js";

/**
 * Why a deploy operation (retry, cancel, rollback) was refused, before anything was recorded:
 * `not-found` (no such deployment or project), `invalid` (a bad argument), `conflict` (the
 * deployment is not in a state the operation applies to). The CLI shows it as one line with
 * exit status 2; an HTTP caller maps the reason to 404, 400 or 409.
 */
export class OperationRefusedError extends UsageError {
  override name = "OperationRefusedError";
  constructor(
    readonly reason: "not-found" | "invalid" | "conflict",
    message: string,
  ) {
    super(message);
  }
}
