import path from "node:path";
import { readAppFile } from "../apps/read-app-file.js";

export type PrismaVersion = { version: string; major: number; minor: number; patch: number };

/** The version of the Prisma CLI installed in the app (`node_modules/prisma`), or null. */
export async function prismaVersion(appDir: string): Promise<PrismaVersion | null> {
  const manifest = path.join(appDir, "node_modules", "prisma", "package.json");
  const version = await readAppFile(appDir, manifest).then(
    (text) => JSON.parse(text)?.version,
    () => null,
  );
  return typeof version === "string" ? parsePrismaVersion(version) : null;
}

export function parsePrismaVersion(version: string): PrismaVersion | null {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return null;
  return { version, major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** `tables.external` and `enums.external` in the Prisma config arrived in 6.13.0. */
export function supportsExternalTables(v: PrismaVersion): boolean {
  return atLeast(v, 6, 13, 0);
}

/** `migrate diff --output` arrived in 5.12.1 (before it, the script went to stdout only). */
export function supportsDiffOutput(v: PrismaVersion): boolean {
  return atLeast(v, 5, 12, 1);
}

function atLeast(v: PrismaVersion, major: number, minor: number, patch: number): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}
