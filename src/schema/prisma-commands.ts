import path from "node:path";
import type { PrismaVersion } from "./prisma-version.js";

/**
 * The most the worker reads of a script Prisma wrote for it (`migrate diff --output`): a real
 * schema's is kilobytes; the file is the app's to swap, and a sparse one reads as gigabytes.
 */
export const PRISMA_SCRIPT_MAX_BYTES = 32 * 1024 * 1024;

/** The app's own Prisma CLI: the version its lockfile pins, never the worker's. */
export function prismaBin(appDir: string): string {
  return path.join(appDir, "node_modules", ".bin", "prisma");
}

// Prisma 7 renamed `--to-schema-datamodel` to `--to-schema`, and `db push` no longer generates
// the client (nor accepts `--skip-generate`).
const toSchema = (v: PrismaVersion) => (v.major >= 7 ? "--to-schema" : "--to-schema-datamodel");
const skipGenerate = (v: PrismaVersion) => (v.major >= 7 ? [] : ["--skip-generate"]);

/**
 * The arguments of each Prisma command the schema sync runs. Paths are relative to the app
 * directory (where the commands run), so the step log reads as a person would type them.
 */
export const prismaArgs = {
  /** The script that creates the schema from nothing: what tables and enums it declares. */
  createScript: (v: PrismaVersion, schema: string, output: string) => [
    "migrate",
    "diff",
    "--from-empty",
    toSchema(v),
    schema,
    "--script",
    "--output",
    output,
  ],
  /** The script from the live database (the schema's datasource URL) to the schema. */
  changeScript: (v: PrismaVersion, schema: string, output: string) => [
    "migrate",
    "diff",
    "--from-schema-datasource",
    schema,
    toSchema(v),
    schema,
    "--script",
    "--output",
    output,
  ],
  push: (v: PrismaVersion, config: string) => [
    "db",
    "push",
    "--config",
    config,
    ...skipGenerate(v),
  ],
  execute: (schema: string, file: string) => ["db", "execute", "--file", file, "--schema", schema],
  generate: (schema: string) => ["generate", "--schema", schema],
};
