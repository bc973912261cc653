import { createHash } from "node:crypto";
import { isBuiltin } from "node:module";
import path from "node:path";
import { openAppFile } from "../apps/open-inside-app.js";
import { isAppFile, readOptionalAppFile } from "../apps/read-app-file.js";
import type { PrismaSchemaLocation } from "./find-prisma-schema.js";
import { prismaPackagesDigest } from "./prisma-packages-digest.js";
import type { PrismaVersion } from "./prisma-version.js";

/**
 * Bump when the worker's own push changes what it does to a database (its commands, its
 * external-tables config, the additive diff): every project then pushes once more.
 */
const PUSH_FORMAT = "coduck-prisma-push/1";

// A module the Prisma config loads: `import … from "x"`, `import("x")`, `require("x")`;
// relative (`./x`, an app file) or bare (`pg`, `@prisma/adapter-pg/dist`, a package).
const IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(["'`])([^"'`\n]{1,1024})\1/g;
const RELATIVE = /^\.{1,2}\//;
const PACKAGE_NAME = /^(?:@[^/\s]{1,214}\/)?[^/\s@.][^/\s]{0,213}/;
const MODULE_EXTENSIONS = ["", ".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"];
const INDEX_FILES = MODULE_EXTENSIONS.slice(1).map((extension) => `/index${extension}`);
const AT_MOST_CONFIG_MODULES = 64;
/**
 * A Prisma config module is a few hundred bytes. The release directory is the tenant's (its
 * build writes it): a sparse file costs it nothing and reads as hundreds of megabytes, so a
 * larger module is not read at all (the inputs are unknown: the push runs).
 */
const AT_MOST_CONFIG_MODULE_BYTES = 1024 * 1024;

export type PushInputs =
  | { hash: string }
  /** The inputs cannot be pinned down (a config that loads a file not found): never skip. */
  | { unknown: string };

/**
 * A SHA-256 over everything that decides what the worker's `prisma db push` does, besides the
 * database itself: the schema's files (names and text), the Prisma version, the Prisma config
 * and every app file it imports, what the lockfile pins of the packages Prisma loads (its
 * engines, a driver adapter the config imports: prisma-packages-digest), the `.env` files
 * Prisma and dotenv read, the `prisma` key of package.json, the variables the push runs with (DIRECT_URL among them: which database and
 * schema), the Node that runs it, and the worker's push format. Nothing leaves the app's
 * directory: a link out rejects with EOUTSIDEAPP.
 */
export async function pushInputsHash(input: {
  appDir: string;
  schema: PrismaSchemaLocation;
  version: PrismaVersion;
  env: Record<string, string>;
}): Promise<PushInputs> {
  const { appDir, schema } = input;
  const hash = createHash("sha256");
  const part = (name: string, value: string) => hash.update(`${JSON.stringify(name)}\0${value}\0`);
  part("format", PUSH_FORMAT);
  part("node", process.version);
  part("prisma", input.version.version);
  part("schema", path.relative(appDir, schema.path));
  const env = Object.entries(input.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  part("env", JSON.stringify(env));
  for (const file of [...schema.files].sort()) await partFile(file);
  const envFiles = new Set([appDir, path.dirname(schema.path), path.join(appDir, "prisma")]);
  for (const dir of envFiles) await partFile(path.join(dir, ".env"));
  const manifest = await readOptionalAppFile(appDir, path.join(appDir, "package.json"));
  part("package.json prisma", JSON.stringify(prismaKey(manifest) ?? null));
  const loaded = await prismaLoads(appDir, schema.configFile);
  if ("unknown" in loaded) return loaded;
  for (const [name, digest] of loaded.parts) part(name, digest);
  return { hash: hash.digest("hex") };

  async function partFile(file: string): Promise<void> {
    part(path.relative(appDir, file), (await readOptionalAppFile(appDir, file)) ?? "\0missing");
  }
}

function prismaKey(manifest: string | null): unknown {
  try {
    return manifest ? JSON.parse(manifest)?.prisma : null;
  } catch {
    return manifest;
  }
}

type ConfigModules = { files: [string, string][]; packages: string[] } | { unknown: string };

/**
 * What a Prisma command loads besides the schema, as named digests: the config and the app
 * files it imports (configModules), and what the lockfile pins of Prisma's packages and those
 * the config imports (prisma-packages-digest). Unknown when the config's imports cannot be
 * pinned down. Shared by the push's inputs and the build's client key.
 */
export async function prismaLoads(
  appDir: string,
  configFile: string | null,
): Promise<{ parts: [string, string][] } | { unknown: string }> {
  const modules = configFile
    ? await configModules(appDir, configFile)
    : { files: [], packages: [] };
  if ("unknown" in modules) return modules;
  const parts = modules.files.map(([file, digest]): [string, string] => [
    path.relative(appDir, file),
    digest,
  ]);
  parts.push(["packages", await prismaPackagesDigest(appDir, modules.packages)]);
  return { parts };
}

/**
 * The Prisma config and, transitively, the app's own files it imports, each as the SHA-256 of
 * its text (never the texts themselves, all held at once), sorted by name; and the packages
 * they import by name (pinned by the lockfile: prisma-packages-digest). A relative import that
 * resolves to no file makes the inputs unknown, and so does a config that imports more than
 * AT_MOST_CONFIG_MODULES files or a module over AT_MOST_CONFIG_MODULE_BYTES. A package loaded
 * by a name computed at run time is not seen: its version counts only if Prisma's own
 * packages depend on it.
 */
async function configModules(appDir: string, configFile: string): Promise<ConfigModules> {
  const files = new Map<string, string>();
  const packages = new Set<string>();
  const pending = [configFile];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    if (files.size >= AT_MOST_CONFIG_MODULES) {
      return { unknown: `the Prisma config loads more than ${AT_MOST_CONFIG_MODULES} files` };
    }
    const text = await readConfigModule(appDir, file);
    if (text === null) return { unknown: `${path.relative(appDir, file)} is missing` };
    if (text === TOO_LARGE)
      return {
        unknown: `${path.relative(appDir, file)} is over ${AT_MOST_CONFIG_MODULE_BYTES} bytes`,
      };
    files.set(file, createHash("sha256").update(text).digest("hex"));
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[2]!;
      if (!RELATIVE.test(specifier)) {
        const name = PACKAGE_NAME.exec(specifier)?.[0];
        if (name && !isBuiltin(specifier)) packages.add(name);
        continue;
      }
      const found = await resolveModule(appDir, path.resolve(path.dirname(file), specifier));
      if (!found) {
        const named = `${path.relative(appDir, file)} imports ${specifier}`;
        return { unknown: `${named}, which the worker cannot find to compare` };
      }
      pending.push(found);
    }
  }
  return {
    files: [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    packages: [...packages].sort(),
  };
}

const TOO_LARGE = Symbol("too large");

/** The module's text; null when missing; TOO_LARGE (unread) over AT_MOST_CONFIG_MODULE_BYTES. */
async function readConfigModule(
  appDir: string,
  file: string,
): Promise<string | null | typeof TOO_LARGE> {
  const handle = await openAppFile(appDir, file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (!handle) return null;
  try {
    // At most one byte past the limit, whatever the size said a moment before.
    const buffer = Buffer.alloc(AT_MOST_CONFIG_MODULE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return length > AT_MOST_CONFIG_MODULE_BYTES ? TOO_LARGE : buffer.toString("utf8", 0, length);
  } finally {
    await handle.close();
  }
}

async function resolveModule(appDir: string, base: string): Promise<string | null> {
  // `./env.js` written for a file `env.ts`, as TypeScript's NodeNext resolution allows.
  const stem = base.replace(/\.(?:[cm]?js)$/, "");
  const candidates = [
    ...MODULE_EXTENSIONS.map((extension) => base + extension),
    ...MODULE_EXTENSIONS.slice(1).map((extension) => stem + extension),
    ...INDEX_FILES.map((index) => base + index),
  ];
  // Only whether it is a regular file of the app's (a directory is not; a link out throws):
  // reading each candidate whole, to throw it away, is what a planted large file is for.
  for (const candidate of candidates) if (await isAppFile(appDir, candidate)) return candidate;
  return null;
}
