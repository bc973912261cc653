import { readFile } from "node:fs/promises";
import type { PrismaSchemaLocation } from "./find-prisma-schema.js";
import { stripComments } from "./strip-comments.js";

const MODEL_BLOCK = /^[ \t]*model[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\{/m;

/** Whether Prisma schema text declares a `model X {` block outside comments. */
export function declaresModels(schemaText: string): boolean {
  return MODEL_BLOCK.test(stripComments(schemaText));
}

/** Whether any file of the schema declares a model. */
export async function schemaDeclaresModels(schema: PrismaSchemaLocation): Promise<boolean> {
  for (const file of schema.files) {
    if (declaresModels(await readFile(file, "utf8"))) return true;
  }
  return false;
}
