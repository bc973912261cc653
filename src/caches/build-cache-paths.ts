import path from "node:path";
import { parse } from "jsonc-parser";
import { readOptionalAppFile } from "../apps/read-app-file.js";
import type { PackageJson } from "../apps/read-package-json.js";

/** What frameworks keep between builds to start warm, relative to the app's directory. */
const FRAMEWORK_CACHES = [
  ".next/cache", // Next.js: webpack/turbopack and image caches
  "node_modules/.vite", // Vite's dependency pre-bundling
  "node_modules/.cache", // babel-loader, terser, eslint, …
];

/** A build script that removes its own output first: restoring tsc's state would skip emits. */
const CLEANS_OUTPUT = /\b(rimraf|rm\s+-[a-zA-Z]*r|del-cli|del\s|shx\s+rm|--clean\b)/;

export type BuildCachePlan = { paths: string[]; note: string | null };

/**
 * The paths of an app whose contents are kept between its builds: the frameworks' caches and,
 * for an incremental TypeScript build (tsconfig.json `incremental` or `composite`), its
 * .tsbuildinfo together with its outDir: tsc trusts the .tsbuildinfo and emits only what
 * changed, so the two are only ever restored together, and not at all for a build script that
 * deletes its output first.
 */
export async function buildCachePaths(
  appDir: string,
  manifest: PackageJson | null,
): Promise<BuildCachePlan> {
  const paths = [...FRAMEWORK_CACHES];
  const text = await readOptionalAppFile(appDir, path.join(appDir, "tsconfig.json")).catch(
    () => null,
  );
  if (text === null || text.length > 1_000_000) return { paths, note: null };
  let options: Record<string, unknown> = {};
  try {
    const parsed = parse(text, [], { allowTrailingComma: true }) as { compilerOptions?: unknown };
    if (parsed && typeof parsed.compilerOptions === "object" && parsed.compilerOptions !== null)
      options = parsed.compilerOptions as Record<string, unknown>;
  } catch {
    return { paths, note: null };
  }
  if (options.incremental !== true && options.composite !== true) return { paths, note: null };
  const build = manifest?.scripts?.build;
  if (typeof build === "string" && CLEANS_OUTPUT.test(build))
    return {
      paths,
      note: "TypeScript's incremental state not kept: the build script deletes its output first",
    };
  const outDir = inside(options.outDir);
  const buildInfo = inside(options.tsBuildInfoFile);
  if (!outDir)
    return { paths, note: "TypeScript's incremental state not kept: tsconfig.json has no outDir" };
  // tsc's default: next to tsconfig.json, or in outDir when rootDir holds the config.
  paths.push(outDir, buildInfo ?? "tsconfig.tsbuildinfo");
  return { paths: [...new Set(paths)], note: null };
}

/** A relative path inside the app, normalised; null for anything else (absolute, `..`, node_modules). */
function inside(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 200) return null;
  const normal = path.posix.normalize(value.replace(/^\.\//, ""));
  if (path.posix.isAbsolute(normal) || normal === "." || normal.startsWith("..")) return null;
  if (normal.split("/").includes("node_modules") || normal.startsWith(".coduck")) return null;
  return normal.replace(/\/$/, "");
}
