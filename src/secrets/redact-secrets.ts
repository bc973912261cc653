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

/**
 * Log text as it may be stored: secrets redacted, and NUL removed, which Postgres text cannot
 * hold. `cut`: the text is the start of a longer line, so a secret may begin at its end and go
 * on beyond it; whatever part of one it ends in is redacted too.
 */
export function cleanLogText(text: string, secrets: readonly string[], cut = false): string {
  let clean = redactSecrets(text, secrets);
  if (cut) clean = redactCutSecret(clean, secrets);
  return clean.includes("\u0000") ? clean.replaceAll("\u0000", "") : clean;
}

function redactCutSecret(text: string, secrets: readonly string[]): string {
  let longest = 0;
  for (const secret of secrets) {
    for (let length = Math.min(secret.length - 1, text.length); length > longest; length--) {
      if (text.endsWith(secret.slice(0, length))) longest = length;
    }
  }
  return longest === 0 ? text : `${text.slice(0, -longest)}[redacted]`;
}

/** Adds values to a list of secrets, keeping it longest first (what `redactSecrets` needs). */
export function addSecrets(secrets: string[], values: readonly string[]): void {
  for (const value of values) if (value && !secrets.includes(value)) secrets.push(value);
  secrets.sort((a, b) => b.length - a.length);
}
