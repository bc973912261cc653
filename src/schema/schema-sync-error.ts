/** Which part of syncing the schema failed. */
export type SchemaSyncStage =
  | "prisma-missing"
  | "prisma-unsupported"
  | "inspect"
  | "push"
  | "generate";

/**
 * A failed schema sync, with the output of the command that failed (a refused destructive
 * change prints Prisma's "There might be data loss" warning there) for the step's classifier.
 */
export class SchemaSyncError extends Error {
  override name = "SchemaSyncError";

  constructor(
    readonly stage: SchemaSyncStage,
    message: string,
    readonly result: { command?: string; exitCode?: number | null; output: string[] } = {
      output: [],
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
