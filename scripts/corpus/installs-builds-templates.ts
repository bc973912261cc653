/**
 * The prepared app directories the install/build/boot captures (and noise.ts) copy per case,
 * under /tmp/corpus-templates/ib-*. Each is installed once; `ensureTemplates` checks they are
 * there and says how to make a missing one (the commands are in the README of issue 22's
 * corpus scripts: plain `npm install` of the package.json each template holds).
 */
import { existsSync } from "node:fs";
import path from "node:path";

const BASE = "/tmp/corpus-templates";

export const TEMPLATES = {
  /** Next.js 15.5 app router, TypeScript 5.9, React 19, ESLint skipped. */
  next: path.join(BASE, "ib-next"),
  /** Vite 6 + TypeScript, plain DOM (no framework). */
  vite: path.join(BASE, "ib-vite"),
  /** An express + pino API built with tsc (NodeNext). */
  tsc: path.join(BASE, "ib-tsc"),
  /** A pino worker bundled with esbuild 0.25. */
  esbuild: path.join(BASE, "ib-esb"),
  /** express 4 + pino + pino-http + dotenv, ESM, no build. */
  express: path.join(BASE, "ib-express"),
  /** test/fixtures/apps/prisma-app (Prisma 6.19, JS engines) with node_modules. */
  prisma: path.join(BASE, "ib-prisma"),
  /** The `bun` npm package (1.2.23), whose binary arrives as an optional dependency. */
  bun: path.join(BASE, "ib-bun"),
} as const;

export async function ensureTemplates(): Promise<void> {
  const missing = Object.entries(TEMPLATES).filter(
    ([, dir]) => !existsSync(path.join(dir, "node_modules")),
  );
  if (missing.length > 0)
    throw new Error(
      `missing templates: ${missing.map(([name, dir]) => `${name} (${dir})`).join(", ")}; ` +
        "create them with scripts/corpus/installs-builds-templates.sh",
    );
}

/**
 * PATH without the worker checkout's node_modules/.bin, which `npx tsx` puts first: a case's app
 * must find its tools in its own node_modules (as npm scripts do) or not at all.
 */
export function appPath(): string {
  return (process.env.PATH ?? "")
    .split(":")
    .filter(
      (dir) => !dir.includes("/work/main/node_modules") && !dir.endsWith("/main/node_modules/.bin"),
    )
    .join(":");
}
