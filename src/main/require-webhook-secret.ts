import type { Config } from "../config.js";
import { UsageError } from "../errors.js";

/**
 * Each project verifies its pushes with its own webhook secret, so serving needs no global
 * one. The global GITHUB_WEBHOOK_SECRET is only ever an explicit fallback: asking for it
 * (WEBHOOK_GLOBAL_SECRET_FALLBACK=1) without setting it is a mistake, refused at start.
 */
export function requireWebhookSecret(config: Pick<Config, "http">): void {
  const { githubWebhookSecret, webhookGlobalSecretFallback } = config.http;
  if (webhookGlobalSecretFallback && !githubWebhookSecret) {
    throw new UsageError(
      "WEBHOOK_GLOBAL_SECRET_FALLBACK=1 but GITHUB_WEBHOOK_SECRET is not set: set it, or unset WEBHOOK_GLOBAL_SECRET_FALLBACK (each project has its own secret: coduck-worker projects set <slug> --rotate-webhook-secret)",
    );
  }
}

/** What serving says at start about the global secret, if anything: a warning line. */
export function globalWebhookSecretWarning(config: Pick<Config, "http">): string | null {
  const { githubWebhookSecret, webhookGlobalSecretFallback } = config.http;
  if (webhookGlobalSecretFallback)
    return "WEBHOOK_GLOBAL_SECRET_FALLBACK=1: GITHUB_WEBHOOK_SECRET verifies the pushes of every project without a webhook secret of its own (give each one: coduck-worker projects set <slug> --rotate-webhook-secret)";
  if (githubWebhookSecret)
    return "GITHUB_WEBHOOK_SECRET is set but not used: each project verifies pushes with its own secret (set WEBHOOK_GLOBAL_SECRET_FALLBACK=1 to accept it for projects without one)";
  return null;
}
