import { ensureProjectDatabase } from "../../provisioning/provision-project.js";
import { recordDatabaseSize } from "../../store/deployments.js";
import type { Step } from "../context.js";

/**
 * Makes sure the project has its private database (created on the first deploy, verified and
 * repaired on later ones) and injects DATABASE_URL and DIRECT_URL for every later step.
 */
export const provision: Step = {
  name: "provision",
  async run(ctx) {
    const { config, keyring, db } = ctx;
    const database = await ensureProjectDatabase({ db, config, keyring }, ctx.deployment.project);
    ctx.secrets.push(database.password, encodeURIComponent(database.password));
    ctx.appEnv.DATABASE_URL = database.databaseUrl;
    ctx.appEnv.DIRECT_URL = database.directUrl;

    if (database.fastPath)
      ctx.say(`database ${database.database} exists; PgBouncer lookup verified`);
    for (const action of database.actions) ctx.say(action);
    await recordDatabaseSize(db, ctx.deployment.id, database.sizeBytes);
    const limit = config.projectStorageLimitBytes;
    ctx.say(`database size ${megabytes(database.sizeBytes)} of ${megabytes(limit)}`);
    if (database.sizeBytes > limit) {
      await ctx.warn(
        `the database uses ${megabytes(database.sizeBytes)}, over its ${megabytes(limit)} soft limit: delete data you no longer need, or raise the limit on a paid plan`,
      );
    }
    return { status: "succeeded" };
  },
};

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
