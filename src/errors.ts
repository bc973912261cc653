// The worker's general-purpose errors, one naming pattern (XxxError). An error that is one
// module's own contract stays beside it, named the same way: StaleAttemptError (store/),
// OutsideAppError (apps/), ProjectConflictError (store/), OperationRefusedError (deploys/),
// SchemaSyncError (schema/), PgToolError (backups/).

/** Normalises anything thrown into an Error, once, so callers can rely on `.message`. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown), { cause: thrown });
}

/** Bad input from a person (CLI arguments, payloads): shown as one clear line, never a stack. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Thrown by withTimeout when the work did not settle in time. */
export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/** An invalid environment: every bad variable, each with what it expected (never its value). */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.join("\n")}`);
    this.name = "ConfigError";
  }
}
