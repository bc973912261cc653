import { lstat } from "node:fs/promises";
import path from "node:path";
import { OutsideAppError } from "../../apps/open-inside-app.js";
import { isAppFile, readAppFile } from "../../apps/read-app-file.js";
import { readPackageJson } from "../../apps/read-package-json.js";
import { makeAppDirectory, removeAppFile } from "../../apps/write-app-file.js";
import { StepFailure } from "../../failures/step-failure.js";
import { schemaDeclaresModels } from "../../schema/declares-models.js";
import { drizzleMigrateStoppedAt } from "../../schema/drizzle-migrate-silence.js";
import { drizzlePushRefusal } from "../../schema/drizzle-push-refusal.js";
import { findPrismaSchema, type PrismaSchemaLocation } from "../../schema/find-prisma-schema.js";
import { PRISMA_SCRIPT_MAX_BYTES, prismaArgs, prismaBin } from "../../schema/prisma-commands.js";
import { prismaVersion, supportsDiffOutput } from "../../schema/prisma-version.js";
import { pushInputsHash } from "../../schema/push-inputs-hash.js";
import { prismaEnv } from "../../schema/run-prisma.js";
import type { SchemaCommandRunner } from "../../schema/schema-command.js";
import { checkSchemaGate } from "../../schema/schema-gate.js";
import { SchemaSyncError } from "../../schema/schema-sync-error.js";
import { syncPrismaSchema } from "../../schema/sync-prisma-schema.js";
import { tableCreationWarnings } from "../../schema/table-creation-warnings.js";
import { decidePush } from "../../schema/unchanged-push.js";
import { forgetSchemaPush, lastSchemaPush } from "../../store/schema-pushes.js";
import type { AheadCommand, PipelineContext, Step, StepContext, StepOutcome } from "../context.js";

const KEPT_OUTPUT_LINES = 2_000;

/**
 * Applies the app's schema, exactly as the platform documents it: a coduck.json `preStart`
 * owns it; otherwise a Prisma schema with models is pushed additively (never dropping what it
 * does not declare, never accepting data loss; its client is the build step's), unless the same
 * schema was pushed into the same, untouched database before (schema/unchanged-push.ts);
 * otherwise nothing.
 * Schema tools get the direct URL as DATABASE_URL: Prisma's schema engine cannot work through
 * a transaction pooler. Either way, an app with Prisma models then passes the schema gate.
 */
export const schema: Step = {
  name: "schema",
  changesRelease: true,
  readAhead: planCreateScript,
  async run(ctx) {
    try {
      return await applySchema(ctx);
    } catch (error) {
      // A schema, config or scratch file that leads out of the release: never read or written.
      if (!(error instanceof OutsideAppError)) throw error;
      throw new StepFailure("CONFIG_INVALID", error.message, { evidence: error.message });
    }
  },
};

async function applySchema(ctx: StepContext): Promise<StepOutcome> {
  const directUrl = ctx.appEnv.DIRECT_URL ?? "";
  const preStart = ctx.app.config.preStart;
  const prismaSchema = await findPrismaSchema(ctx.releaseDir);
  const models =
    prismaSchema && (await schemaDeclaresModels(ctx.releaseDir, prismaSchema))
      ? prismaSchema
      : null;
  const warnings = await tableCreationWarnings(ctx.releaseDir, {
    preStart,
    prismaModels: models !== null,
    manifest: await readPackageJson(ctx.releaseDir).catch(() => null),
  });
  for (const warning of warnings) await ctx.warn(warning);
  const gate = (appliedBy: string, createScript?: string) =>
    models &&
    checkSchemaGate({
      appDir: ctx.releaseDir,
      schema: models,
      directUrl,
      run: schemaRunner(ctx),
      say: ctx.say,
      appliedBy,
      createScript,
    });
  if (preStart) {
    // The preStart owns the schema from now on, and always runs: a later deploy without one
    // pushes again rather than trust a push recorded before it.
    await forgetSchemaPush(ctx.db, ctx.deployment.projectId);
    await previewDrizzlePush(ctx, preStart, directUrl);
    const output: string[] = [];
    try {
      await ctx.sh(preStart, {
        failureCode: "MIGRATION_FAILED",
        env: { DATABASE_URL: directUrl },
        onLine: (line) => {
          if (output.length < KEPT_OUTPUT_LINES) output.push(line);
        },
      });
    } catch (error) {
      if (!(error instanceof StepFailure) || error.code !== "MIGRATION_FAILED") throw error;
      const stoppedAt = await drizzleMigrateStoppedAt(ctx.releaseDir, preStart, output, directUrl);
      if (!stoppedAt) throw error;
      ctx.say(stoppedAt);
      throw new StepFailure(
        "MIGRATION_FAILED",
        error.detail,
        { ...error.facts, evidence: stoppedAt },
        { cause: error },
      );
    }
    refuseUnappliedPush(preStart, output);
    await gate(`preStart \`${preStart}\``);
    return { status: "succeeded" };
  }
  if (!models) {
    return {
      status: "skipped",
      reason: prismaSchema
        ? "the Prisma schema declares no models, and coduck.json sets no preStart"
        : "no preStart in coduck.json and no Prisma schema with models",
    };
  }
  const decision = await decidePush({
    db: ctx.db,
    projectId: ctx.deployment.projectId,
    deploymentId: ctx.deployment.id,
    appDir: ctx.releaseDir,
    schema: models,
    directUrl,
    env: ctx.appEnv,
  });
  ctx.say(decision.line);
  // The client was generated (or reused, unchanged) by the build step; the schema gate passed
  // after the push recorded, on the same catalog.
  if (decision.skip) return { status: "succeeded", releaseAsBefore: true };
  const createScript = await readAheadFor(ctx, models, decision.inputsHash);
  try {
    const result = await syncPrismaSchema({
      appDir: ctx.releaseDir,
      schema: models,
      directUrl,
      run: schemaRunner(ctx),
      say: ctx.say,
      createScript,
    });
    ctx.say(result.summary);
    // The push read the schema's create script before it ran: the gate checks the database
    // against that script rather than run `prisma migrate diff` again on the same schema.
    await gate("`prisma db push`", result.createScript);
    if (decision.record) {
      // Not recorded: the next deploy pushes again, nothing worse.
      ctx.say(await decision.record().catch((error) => `push not recorded: ${String(error)}`));
    }
    // Prisma wrote its scripts and config under .coduck/ only (the client is the build's).
    return { status: "succeeded", releaseAsBefore: true };
  } catch (error) {
    if (!(error instanceof SchemaSyncError)) throw error;
    ctx.say(error.message);
    if (error.stage === "prisma-unsupported") {
      throw new StepFailure("PRISMA_VERSION_UNSUPPORTED", error.message, {
        evidence: error.message,
      });
    }
    throw new StepFailure(
      "MIGRATION_FAILED",
      error.message,
      { exitCode: error.result.exitCode ?? null },
      { cause: error },
    );
  }
}

/** What the create script read ahead was made from (Step.readAhead's plan). */
type CreateScriptPlan = { inputsHash: string; files: string; command: string };

/** Where Prisma writes the create script read ahead, in the app's .coduck/. */
const AHEAD_SCRIPT = "prisma-create-ahead.sql";

/**
 * Run ahead, beside the build's first command: when this deploy will push (no preStart, a
 * Prisma schema with models, its inputs not those of the last push), the schema's create
 * script, which the push reads first (sync-prisma-schema). `prisma migrate diff --from-empty`
 * needs only the schema, the app's Prisma and its config: no database, nothing the build makes.
 * A second of Prisma's start-up off the deploy's path, on two cores.
 */
async function planCreateScript(ctx: PipelineContext): Promise<AheadCommand | null> {
  if (ctx.app.config.preStart) return null;
  const appDir = ctx.releaseDir;
  const found = await findPrismaSchema(appDir);
  if (!found || !(await schemaDeclaresModels(appDir, found))) return null;
  const version = await prismaVersion(appDir);
  if (!version || !supportsDiffOutput(version)) return null;
  const inputs = await pushInputsHash({ appDir, schema: found, version, env: ctx.appEnv });
  if ("unknown" in inputs) return null;
  const last = await lastSchemaPush(ctx.db, ctx.deployment.projectId);
  if (last?.inputsHash === inputs.hash) return null;
  const scratchDir = path.join(appDir, ".coduck");
  await makeAppDirectory(appDir, scratchDir);
  await removeAppFile(appDir, path.join(scratchDir, AHEAD_SCRIPT));
  const args = prismaArgs.createScript(
    version,
    path.relative(appDir, found.path),
    path.join(".coduck", AHEAD_SCRIPT),
  );
  const plan: CreateScriptPlan = {
    inputsHash: inputs.hash,
    files: await fileStates(appDir, found),
    command: `prisma ${args.join(" ")}`,
  };
  const directUrl = ctx.appEnv.DIRECT_URL ?? "";
  return { file: prismaBin(appDir), args, env: prismaEnv(directUrl), plan };
}

/**
 * The schema's files (and its folders, for a folder schema) and the Prisma config as they are on disk (inode, size,
 * change times): a build that rewrote one while Prisma read it ahead, even with the same text
 * in the end, changes them.
 */
async function fileStates(appDir: string, found: PrismaSchemaLocation): Promise<string> {
  // A schema folder with its folders: a file added (or added and removed again) changes those.
  const folder = !found.files.includes(found.path);
  const files = [
    ...new Set([
      ...found.files,
      ...(folder ? [found.path, ...found.files.map((file) => path.dirname(file))] : []),
      ...(found.configFile ? [found.configFile] : []),
    ]),
  ].sort();
  const states = await Promise.all(
    files.map(async (file) => {
      const info = await lstat(file, { bigint: true }).catch(() => null);
      const state = info ? `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}` : "missing";
      return `${path.relative(appDir, file)} ${state}`;
    }),
  );
  return states.join("\n");
}

/**
 * The create script read ahead, when it was made from what the push is about to apply (the
 * same push inputs, the schema's files untouched since: a build may rewrite the schema);
 * logged as if run here. Its file goes either way.
 */
async function readAheadFor(
  ctx: StepContext,
  found: PrismaSchemaLocation,
  inputsHash: string | null,
): Promise<string | undefined> {
  const ahead = ctx.readAhead;
  if (!ahead) return undefined;
  const file = path.join(ctx.releaseDir, ".coduck", AHEAD_SCRIPT);
  try {
    const plan = ahead.plan as CreateScriptPlan;
    if (ahead.exitCode !== 0) {
      ctx.say(
        `\`${plan.command}\` failed during the build (exit ${ahead.exitCode}): run again here`,
      );
      return undefined;
    }
    if (
      plan.inputsHash !== inputsHash ||
      plan.files !== (await fileStates(ctx.releaseDir, found))
    ) {
      ctx.say(
        "the create script read during the build is not used: the schema, its config or Prisma changed since",
      );
      return undefined;
    }
    // The build ran beside it and may have removed or replaced the file: then Prisma runs here.
    const script = await readAppFile(ctx.releaseDir, file, {
      maxBytes: PRISMA_SCRIPT_MAX_BYTES,
    }).catch(() => null);
    if (script === null) {
      ctx.say("the create script read during the build is gone or unreadable: run again here");
      return undefined;
    }
    ctx.noteCommand(plan.command);
    ctx.say(`$ ${plan.command}   (ran during the build)`);
    for (const line of ahead.output) ctx.appOutput(line);
    return script;
  } finally {
    // What the build put in its place is left (.coduck/ is the platform's, never fingerprinted).
    await removeAppFile(ctx.releaseDir, file).catch(() => {});
  }
}

/**
 * A preStart that exited 0 without applying its schema: `drizzle-kit push` that would have had
 * to ask (data loss, a rename) applies nothing and exits 0. Going live would serve a release
 * whose schema is not there, so the step fails and the previous release keeps serving.
 */
function refuseUnappliedPush(preStart: string, output: readonly string[]): void {
  const refusal = drizzlePushRefusal(output);
  if (!refusal) return;
  const evidence = refusal.evidence.join("\n");
  if (refusal.kind === "data-loss") {
    throw new StepFailure(
      "DESTRUCTIVE_CHANGE_BLOCKED",
      `preStart \`${preStart}\` exited 0, but drizzle-kit refused statements that would lose data and applied nothing`,
      { evidence, variant: "drizzle-kit-push" },
    );
  }
  throw new StepFailure(
    "MIGRATION_FAILED",
    `preStart \`${preStart}\` exited 0, but drizzle-kit stopped at a question it could not ask and applied nothing`,
    { evidence },
  );
}

// The docs' Drizzle preStart, `drizzle-kit push` with flags at most (no other command).
const FLAG = /^--?[\w-]{1,64}(?:=[\w./:-]{1,256})?$/;

/** The flags of a preStart that is `[npx] drizzle-kit push [flags]`; null for anything else. */
function drizzlePushFlags(preStart: string): string[] | null {
  const words = preStart.trim().split(/\s+/);
  if (words[0] === "npx") words.shift();
  if (words[0] !== "drizzle-kit" || words[1] !== "push") return null;
  const flags = words.slice(2);
  return flags.every((flag) => FLAG.test(flag)) ? flags : null;
}
// A statement `drizzle-kit push --verbose` shows: a table it would drop.
const DROP_TABLE = /^DROP TABLE (?:"([^"]{1,63})"\.)?"([^"]{1,63})"/;
// The CoDuck Auth SDK's tables (auth_users, auth_sessions...), in the database beside the app's.
const AUTH_SDK_TABLE = /^auth_/;

/**
 * Before `drizzle-kit push` runs for real: drizzle-kit drops a table its schema does not declare,
 * and asks first only when the table holds rows, so the Auth SDK's tables, empty, would go
 * without a word. `--strict --verbose` without a terminal lists the statements and applies
 * nothing; a listed DROP of an Auth SDK table fails the step before anything is applied.
 */
async function previewDrizzlePush(
  ctx: StepContext,
  preStart: string,
  directUrl: string,
): Promise<void> {
  const flags = drizzlePushFlags(preStart);
  // Without the app's drizzle-kit, the preStart itself fails and says so.
  const bin = path.join(ctx.releaseDir, "node_modules", ".bin", "drizzle-kit");
  if (!flags || !(await isAppFile(ctx.releaseDir, bin).catch(() => false))) return;
  const dropped: string[] = [];
  ctx.say("previewing drizzle-kit push (--strict --verbose applies nothing without a terminal)");
  await ctx.sh(["drizzle-kit", "push", ...flags, "--strict", "--verbose"].join(" "), {
    failureCode: "MIGRATION_FAILED",
    env: { DATABASE_URL: directUrl },
    onLine: (line) => {
      const drop = DROP_TABLE.exec(line.trim());
      if (drop && (drop[1] ?? "public") === "public" && AUTH_SDK_TABLE.test(drop[2]!))
        dropped.push(line.trim());
    },
  });
  if (dropped.length === 0) return;
  throw new StepFailure(
    "DESTRUCTIVE_CHANGE_BLOCKED",
    `preStart \`${preStart}\` would drop the Auth SDK's tables; it was not run`,
    { evidence: dropped.sort().join("\n"), variant: "auth-sdk-tables" },
  );
}

/** Runs Prisma's commands through the step (streamed into its log), handing back their output. */
function schemaRunner(ctx: StepContext): SchemaCommandRunner {
  return async (file, args, env) => {
    const output: string[] = [];
    const keep = (line: string) => {
      if (output.length < KEPT_OUTPUT_LINES) output.push(line);
    };
    try {
      await ctx.run(file, args, { failureCode: "MIGRATION_FAILED", env, onLine: keep });
      return { exitCode: 0, output };
    } catch (error) {
      if (error instanceof StepFailure && error.code === "MIGRATION_FAILED") {
        return { exitCode: error.facts.exitCode ?? 1, output };
      }
      throw error;
    }
  };
}
