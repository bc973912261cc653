import type { Config } from "../config.js";
import { UsageError } from "../errors.js";

/**
 * Serving HTTP without GITHUB_WEBHOOK_SECRET leaves the webhook refusing every delivery (503);
 * that must be asked for, not happen because a variable was forgotten.
 */
export function requireWebhookSecret(config: Pick<Config, "http">, insecure: boolean): void {
  if (config.http.githubWebhookSecret || insecure) return;
  throw new UsageError(
    "GITHUB_WEBHOOK_SECRET is not set: set it (openssl rand -hex 32), or pass --insecure-no-webhook-secret to serve with the webhook refusing every delivery (503)",
  );
}
