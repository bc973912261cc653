import { type Check, ok, warn } from "../check.js";

const SHOWN = 5;

/**
 * Whether every registered project verifies its pushes with a webhook secret of its own. A
 * project without one (registered before projects had them) deploys from pushes only through
 * the global fallback (WEBHOOK_GLOBAL_SECRET_FALLBACK=1), where whoever holds that one secret
 * can push as any such project; without the fallback its pushes are refused.
 */
export const webhookSecrets: Check = {
  name: "webhook-secrets",
  async run(ctx) {
    const { webhookGlobalSecretFallback } = ctx.config.http;
    const without = await ctx.withPostgres(ctx.config.databaseUrl, async (client) => {
      const { rows } = await client.query<{ slug: string }>(
        `SELECT slug FROM "Project" WHERE "repoUrl" IS NOT NULL AND "webhookSecretEncrypted" IS NULL ORDER BY slug`,
      );
      return rows.map((row) => row.slug);
    });
    if (without.length === 0) {
      return webhookGlobalSecretFallback
        ? warn(
            "every project has its own webhook secret, yet WEBHOOK_GLOBAL_SECRET_FALLBACK=1 is set",
            "unset WEBHOOK_GLOBAL_SECRET_FALLBACK (and GITHUB_WEBHOOK_SECRET): nothing needs it",
          )
        : ok("every project verifies its pushes with its own webhook secret");
    }
    const named = `${without.slice(0, SHOWN).join(", ")}${without.length > SHOWN ? `, and ${without.length - SHOWN} more` : ""}`;
    const effect = webhookGlobalSecretFallback
      ? "their pushes are verified with the global GITHUB_WEBHOOK_SECRET, which deploys any of them"
      : "their pushes are refused (401)";
    return warn(
      `${without.length} project(s) without a webhook secret of their own (${named}): ${effect}`,
      "for each: coduck-worker projects set <slug> --rotate-webhook-secret, and set the printed secret in the repository's GitHub webhook",
    );
  },
};
