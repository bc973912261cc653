/** Normalises anything thrown into an Error, once, so callers can rely on `.message`. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown), { cause: thrown });
}

/** Bad input from a person (CLI arguments, payloads): shown as one clear line, never a stack. */
export class UsageError extends Error {
  override name = "UsageError";
}
