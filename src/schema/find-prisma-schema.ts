import { readdir } from "node:fs/promises";
import path from "node:path";
import { openAppDirectory } from "../apps/open-inside-app.js";
import { isAppFile, readAppFile } from "../apps/read-app-file.js";
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

// A literal `schema: "…"` property; a computed one is left to the defaults below. The path is
// bounded (PATH_MAX), so no occurrence reads on to the end of a long line.
const SCHEMA_PROPERTY = /\bschema\s*:\s*(["'`])((?:(?!\1)[^\\\n$]|\\.){1,4096})\1/;

/**
 * Finds the schema the way Prisma 6 does, without running any of the app's code: the config
 * file's `schema`, then package.json `prisma.schema`, then `schema.prisma` and
 * `prisma/schema.prisma`; and last a `prisma/schema/` folder, the multi-file default while that
 * feature was in preview. Null when there is none. Every file is the app's own: a name that
 * leads out of its directory (a link, a config's `schema: "/etc/…"`) rejects with EOUTSIDEAPP.
 */
export async function findPrismaSchema(appDir: string): Promise<PrismaSchemaLocation | null> {
  const configFile = await findPrismaConfig(appDir);
  const candidates = [
    ...(configFile ? await schemaFromConfig(appDir, configFile) : []),
    ...(await schemaFromPackageJson(appDir)),
    path.join(appDir, "schema.prisma"),
    path.join(appDir, "prisma", "schema.prisma"),
    path.join(appDir, "prisma", "schema"),
  ];
  for (const candidate of candidates) {
    const files = await schemaFiles(appDir, candidate);
    if (files.length > 0) return { path: candidate, files, configFile };
  }
  return null;
}

async function schemaFromConfig(appDir: string, configFile: string): Promise<string[]> {
  const text = stripComments(await readAppFile(appDir, configFile), "\"'`");
  const value = SCHEMA_PROPERTY.exec(text)?.[2];
  return value ? [path.resolve(path.dirname(configFile), value)] : [];
}

async function schemaFromPackageJson(appDir: string): Promise<string[]> {
  try {
    const manifest = JSON.parse(await readAppFile(appDir, path.join(appDir, "package.json")));
    const schema = manifest?.prisma?.schema;
    return typeof schema === "string" ? [path.resolve(appDir, schema)] : [];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EOUTSIDEAPP") throw error;
    return [];
  }
}

/** The file itself, or every `.prisma` file under the folder (sorted); none when missing. */
async function schemaFiles(appDir: string, candidate: string): Promise<string[]> {
  if (await isAppFile(appDir, candidate)) return [candidate];
  const dir = await openAppDirectory(appDir, candidate).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === "EOUTSIDEAPP") throw error;
    return null;
  });
  if (!dir) return [];
  await dir.close();
  // Links among the entries are not files here; one that is read is checked as it is read.
  const entries = await readdir(candidate, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".prisma"))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}
