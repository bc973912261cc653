import { readAppFile } from "../apps/read-app-file.js";
import type { PrismaSchemaLocation } from "./find-prisma-schema.js";
import { stripComments } from "./strip-comments.js";

const MODEL_BLOCK = /^[ \t]*model[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\{/m;

/** Whether Prisma schema text declares a `model X {` block outside comments. */
export function declaresModels(schemaText: string): boolean {
  return MODEL_BLOCK.test(stripComments(schemaText));
}

/** Whether any file of the schema declares a model (each read as a file of the app's, see readAppFile). */
export async function schemaDeclaresModels(
  appDir: string,
  schema: PrismaSchemaLocation,
): Promise<boolean> {
  for (const file of schema.files) {
    if (declaresModels(await readAppFile(appDir, file))) return true;
  }
  return false;
}
