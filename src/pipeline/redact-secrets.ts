/**
 * A line with every secret replaced by `[redacted]`: what keeps passwords and secret project
 * variables out of every stored line (step logs, a degraded release's evidence). Secrets are
 * replaced in the order given: keep the list longest first, so no part of a longer secret is
 * left behind by a shorter one's replacement.
 */
export function redactSecrets(line: string, secrets: readonly string[]): string {
  let redacted = line;
  for (const secret of secrets) {
    if (secret) redacted = redacted.replaceAll(secret, "[redacted]");
  }
  return redacted;
}
