import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The worker package's root directory, whether running from src/ (tsx) or dist/. */
export const PACKAGE_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  if (existsSync(path.join(dir, "prisma", "schema.prisma"))) return dir;
  const parent = path.dirname(dir);
  if (parent === dir) throw new Error("cannot find the coduck-worker package root");
  return findRoot(parent);
}
