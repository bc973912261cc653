import path from "node:path";
import { isAppFile } from "../apps/read-app-file.js";

// The order Prisma's config loader (c12) tries, in each location: see c12's SUPPORTED_EXTENSIONS.
const EXTENSIONS = [".js", ".ts", ".mjs", ".cjs", ".mts", ".cts"];
const CANDIDATES = [
  "prisma.config",
  path.join(".config", "prisma"),
  path.join(".config", "prisma.config"),
];

/**
 * The Prisma config file Prisma itself would load from `appDir`, or null when there is none.
 * One that links out of the app's directory rejects (EOUTSIDEAPP).
 */
export async function findPrismaConfig(appDir: string): Promise<string | null> {
  for (const candidate of CANDIDATES) {
    for (const extension of EXTENSIONS) {
      const file = path.join(appDir, candidate + extension);
      if (await isAppFile(appDir, file)) return file;
    }
  }
  return null;
}
