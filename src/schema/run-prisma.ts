import { prismaBin } from "./prisma-commands.js";
import type { SchemaCommandResult, SchemaCommandRunner } from "./schema-command.js";
import { SchemaSyncError, type SchemaSyncStage } from "./schema-sync-error.js";

export type RunPrisma = (stage: SchemaSyncStage, args: string[]) => Promise<SchemaCommandResult>;

/**
 * Runs the app's own Prisma CLI against the database at `directUrl` (schema tools never go
 * through PgBouncer), offline, and turns a non-zero exit into a SchemaSyncError.
 */
export function prismaRunner(
  appDir: string,
  directUrl: string,
  run: SchemaCommandRunner,
): RunPrisma {
  const env = prismaEnv(directUrl);
  return async (stage, args) => {
    const result = await run(prismaBin(appDir), args, env);
    if (result.exitCode !== 0) {
      const command = `prisma ${args.join(" ")}`;
      throw new SchemaSyncError(stage, `\`${command}\` exited with ${result.exitCode}`, {
        command,
        ...result,
      });
    }
    return result;
  };
}

/** The environment of the worker's own Prisma commands: offline, quiet, on the direct URL. */
export function prismaEnv(directUrl: string): Record<string, string> {
  return {
    DATABASE_URL: directUrl,
    DIRECT_URL: directUrl,
    CHECKPOINT_DISABLE: "1",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    // A missing @prisma/client is the app's to declare, not for `generate` to npm-install.
    PRISMA_GENERATE_SKIP_AUTOINSTALL: "1",
  };
}
