import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { findPrismaConfig } from "./find-prisma-config.js";
import { stripComments } from "./strip-comments.js";

/** Where an app's Prisma schema is: one file, or a folder of `.prisma` files. */
export type PrismaSchemaLocation = {
  /** The schema file, or the folder Prisma reads every `.prisma` file under. */
  path: string;
  /** The `.prisma` files that make up the schema. */
  files: string[];
  /** The app's Prisma config file, when it has one. */
  configFile: string | null;
};

// A literal `schema: "…"` property; a computed one is left to the defaults below.
const SCHEMA_PROPERTY = /\bschema\s*:\s*(["'`])((?:(?!\1)[^\\\n$]|\\.)+)\1/;

/**
 * Finds the schema the way Prisma 6 does, without running any of the app's code: the config
 * file's `schema`, then package.json `prisma.schema`, then `schema.prisma` and
 * `prisma/schema.prisma`; and last a `prisma/schema/` folder, the multi-file default while that
 * feature was in preview. Null when there is none.
 */
export async function findPrismaSchema(appDir: string): Promise<PrismaSchemaLocation | null> {
  const configFile = await findPrismaConfig(appDir);
  const candidates = [
    ...(configFile ? await schemaFromConfig(configFile) : []),
    ...(await schemaFromPackageJson(appDir)),
    path.join(appDir, "schema.prisma"),
    path.join(appDir, "prisma", "schema.prisma"),
    path.join(appDir, "prisma", "schema"),
  ];
  for (const candidate of candidates) {
    const files = await schemaFiles(candidate);
    if (files.length > 0) return { path: candidate, files, configFile };
  }
  return null;
}

async function schemaFromConfig(configFile: string): Promise<string[]> {
  const text = stripComments(await readFile(configFile, "utf8"), "\"'`");
  const value = SCHEMA_PROPERTY.exec(text)?.[2];
  return value ? [path.resolve(path.dirname(configFile), value)] : [];
}

async function schemaFromPackageJson(appDir: string): Promise<string[]> {
  try {
    const manifest = JSON.parse(await readFile(path.join(appDir, "package.json"), "utf8"));
    const schema = manifest?.prisma?.schema;
    return typeof schema === "string" ? [path.resolve(appDir, schema)] : [];
  } catch {
    return [];
  }
}

/** The file itself, or every `.prisma` file under the folder (sorted); none when missing. */
async function schemaFiles(candidate: string): Promise<string[]> {
  const stats = await stat(candidate).catch(() => null);
  if (stats?.isFile()) return [candidate];
  if (!stats?.isDirectory()) return [];
  const entries = await readdir(candidate, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".prisma"))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}
