import { closeSync, constants, openSync, readdirSync } from "node:fs";
import path from "node:path";
import { openAppDirectory } from "../apps/open-inside-app.js";
import { isAppFile, readAppFile } from "../apps/read-app-file.js";
import { findPrismaConfig } from "./find-prisma-config.js";
import { stripComments } from "./strip-comments.js";

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

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

/**
 * The most entries a schema folder's walk looks at: a real one holds a few dozen files, and the
 * walk runs as root on a directory the app may fill.
 */
const MAX_SCHEMA_FOLDER_ENTRIES = 10_000;

/** The file itself, or every `.prisma` file under the folder (sorted); none when missing. */
async function schemaFiles(appDir: string, candidate: string): Promise<string[]> {
  if (await isAppFile(appDir, candidate)) return [candidate];
  const dir = await openAppDirectory(appDir, candidate).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === "EOUTSIDEAPP") throw error;
    return null;
  });
  if (!dir) return [];
  try {
    const found: string[] = [];
    const seen = { entries: 0 };
    walkSchemaFolder(`/proc/self/fd/${dir.fd}`, "", found, seen, path.relative(appDir, candidate));
    return found.map((relative) => path.join(candidate, relative)).sort();
  } finally {
    await dir.close();
  }
}

/**
 * The `.prisma` files under the directory open at `opened`, as paths relative to it. Each
 * subdirectory is opened through its parent's descriptor without following a link, so a name
 * the app swaps for a link meanwhile (the live release shares the project's HOME with the
 * build, and a descriptor can travel) is skipped, never followed out of the app's directory.
 * Links among the entries are not files here; one that is read is checked as it is read.
 */
function walkSchemaFolder(
  opened: string,
  relative: string,
  found: string[],
  seen: { entries: number },
  shown: string,
): void {
  for (const entry of readdirSync(opened, { withFileTypes: true })) {
    if (++seen.entries > MAX_SCHEMA_FOLDER_ENTRIES)
      throw new Error(
        `${shown} holds more than ${MAX_SCHEMA_FOLDER_ENTRIES} entries: not a Prisma schema folder`,
      );
    const name = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isFile() && entry.name.endsWith(".prisma")) found.push(name);
    if (!entry.isDirectory()) continue;
    let fd: number;
    try {
      fd = openSync(`${opened}/${entry.name}`, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch {
      continue; // a link or gone by now: not followed
    }
    try {
      walkSchemaFolder(`/proc/self/fd/${fd}`, name, found, seen, shown);
    } finally {
      closeSync(fd);
    }
  }
}
