import type { Config } from "../config.js";

/**
 * The worker's own secrets as they could appear in a line an app prints (its database, Redis
 * and admin passwords, PgBouncer's auth password, the secrets key): redacted from every stored
 * line. Short ones are left out: four characters would redact half of every log.
 */
export function workerSecrets(config: Config): string[] {
  return [config.databaseUrl, config.adminDatabaseUrl, config.redisUrl]
    .map((url) => decodeURIComponent(new URL(url).password))
    .concat(config.pgbouncer.authPassword ?? [], config.secretsKey ?? [])
    .concat(config.redis.mode === "sentinel" ? (config.redis.sentinelPassword ?? []) : [])
    .filter((secret) => secret.length >= 4);
}
