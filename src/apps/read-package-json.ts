import path from "node:path";
import { readAppFile } from "./read-app-file.js";

export type PackageJson = {
  scripts?: Record<string, unknown>;
  packageManager?: unknown;
  [key: string]: unknown;
};

/** The app's package.json, or null when it has none; throws a readable error when malformed. */
export async function readPackageJson(appDir: string): Promise<PackageJson | null> {
  let text: string;
  try {
    text = await readAppFile(appDir, path.join(appDir, "package.json"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
  } catch (error) {
    throw new Error(`package.json is not valid JSON (${(error as Error).message})`);
  }
  throw new Error("package.json is not a JSON object");
}

export function hasScript(manifest: PackageJson | null, name: string): boolean {
  return typeof manifest?.scripts?.[name] === "string";
}
