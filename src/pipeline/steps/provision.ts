import {
  forbiddenVariable,
  RESERVED_VARIABLES,
  RESERVED_VARIABLES_REASON,
} from "../../apps/coduck-json.js";
import { isConnectionErrorCode } from "../../connection-errors.js";
import { StepFailure } from "../../failures/step-failure.js";
import { ensureProjectDatabase } from "../../provisioning/provision-project.js";
import { recordDatabaseSize } from "../../store/deployments.js";
import { variablesForDeploy } from "../../store/project-variables.js";
import { recordStorageLevel } from "../../store/storage-level.js";
import type { Step, StepContext } from "../context.js";

/**
 * Makes sure the project has its private database (created on the first deploy, verified and
 * repaired on later ones) and injects DATABASE_URL and DIRECT_URL for every later step.
 */
export const provision: Step = {
  name: "provision",
  async run(ctx) {
    const { config, keyring, db } = ctx;
    const database = await ensureProjectDatabase(
      { db, config, keyring },
      ctx.deployment.project,
    ).catch((error) => {
      if (!isConnectionErrorCode(error)) throw error;
      throw new StepFailure(
        "DATABASE_UNREACHABLE",
        `the platform's Postgres could not be reached to provision the database (${error.message})`,
        { evidence: error.message },
        { cause: error },
      );
    });
    ctx.secrets.push(database.password, encodeURIComponent(database.password));
    ctx.appEnv.DATABASE_URL = database.databaseUrl;
    ctx.appEnv.DIRECT_URL = database.directUrl;
    await injectProjectVariables(ctx);

    if (database.fastPath)
      ctx.say(`database ${database.database} exists; PgBouncer lookup verified`);
    for (const action of database.actions) ctx.say(action);
    await recordDatabaseSize(db, ctx.deployment.id, database.sizeBytes);
    const limit = config.projectStorageLimitBytes;
    ctx.say(
      `database size ${megabytes(database.sizeBytes)} of ${megabytes(limit)} (${Math.floor((database.sizeBytes * 100) / limit)} % of the soft limit)`,
    );
    const crossed = await recordStorageLevel(
      db,
      ctx.deployment.projectId,
      database.sizeBytes,
      limit,
    );
    if (crossed) ctx.say(`recorded on the project: ${crossed}`);
    if (database.sizeBytes > limit) {
      await ctx.warn(
        `the database uses ${megabytes(database.sizeBytes)}, over its ${megabytes(limit)} soft limit: delete data you no longer need, or raise the limit on a paid plan`,
      );
    }
    return { status: "succeeded" };
  },
};

/**
 * The variables the platform keeps for the project (`coduck-worker env set`), for every later
 * command: over coduck.json `env` (checkout only fills what is unset), under the injected
 * DATABASE_URL, DIRECT_URL and PORT (which can never be project variables). Secret values join
 * the redacted ones, longest first so no part of a longer one survives a shorter one's
 * redaction.
 */
async function injectProjectVariables(ctx: StepContext): Promise<void> {
  const variables = await variablesForDeploy(ctx, ctx.deployment.projectId);
  // Kept from before `env set` refused such names: they never reach a command.
  // The injected DATABASE_URL and DIRECT_URL also say which role and database the box's
  // bridges admit: a stored variable must never replace them.
  for (const { name } of variables) {
    const unset = `remove it with coduck-worker env unset --project ${ctx.deployment.project} ${name}`;
    if ((RESERVED_VARIABLES as readonly string[]).includes(name)) {
      const message = `project variable ${name}: it is ${RESERVED_VARIABLES_REASON}; ${unset}`;
      throw new StepFailure("RESERVED_ENV", message, { evidence: message });
    }
    const forbidden = forbiddenVariable(name);
    if (!forbidden) continue;
    const message = `project variable ${name}: ${forbidden}; ${unset}`;
    throw new StepFailure("CONFIG_INVALID", message, { evidence: message });
  }
  for (const { name, value, secret } of variables) {
    ctx.appEnv[name] = value;
    if (!secret || value === "") continue;
    const lines = value.split(/\r?\n/).filter((line) => line.trim().length >= 4);
    ctx.secrets.push(value, encodeURIComponent(value), ...(lines.length > 1 ? lines : []));
  }
  ctx.secrets.sort((a, b) => b.length - a.length);
  if (variables.length > 0) {
    const names = variables.map((v) => (v.secret ? `${v.name} (secret)` : v.name));
    ctx.say(`project variables: ${names.join(", ")}`);
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
