// Bundles the CLI (src/main/cli.ts) with esbuild into dist/cli/, one ES module per lazily
// imported command (splitting), for the commands bin/coduck-worker.js runs from it (bench item
// 11, issue 23). Loading BullMQ, ioredis and pg from node_modules costs the ESM loader a read,
// a resolve and a parse of each of their ~350 files, and again for the CJS loader (the ESM
// loader lexes a CommonJS package's files for their export names before requiring them); the
// bundle is a handful of files, parsed once. Part of `npm run build`, after tsc.
//
// Kept out of the bundle (loaded from node_modules as before): what the bundled commands never
// load, and what cannot be moved (Prisma's generated client and engines, pino's transports
// run in worker threads from their own files, native addons).
import { readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * pg (lib/stream.js) asks at load whether it runs in a Cloudflare Worker by constructing a
 * `Response`, which on Node 20 (no `navigator`) loads Node's bundled undici: 40-90 ms of a
 * CLI's start for a check that is always false under Node. The bundle takes Node's streams.
 */
const pgNodeStreams = {
  name: "pg-node-streams",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const patched = source.replace(
        "const { getStream, getSecureStream } = getStreamFuncs()",
        "const { getStream, getSecureStream } = getNodejsStreamFuncs()",
      );
      if (patched === source)
        throw new Error(
          `${args.path}: pg's stream selection changed; update scripts/bundle-cli.mjs`,
        );
      return { contents: patched, loader: "js" };
    });
  },
};

/**
 * zod's namespace carries its 64 locales (`z.locales`), which nothing here uses: about 400 KB
 * that each command compiled before it did anything. The bundle keeps English, the locale zod
 * itself configures (from its own import of en.js).
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onLoad(
      { filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ },
      async (args) => {
        const english = 'export { default as en } from "./en.js";';
        if (!(await readFile(args.path, "utf8")).includes(english))
          throw new Error(`${args.path}: zod's locales changed; update scripts/bundle-cli.mjs`);
        return { contents: english, loader: "js", resolveDir: path.dirname(args.path) };
      },
    );
  },
};

const outdir = path.join(root, "dist", "cli");
const entry = path.join(outdir, "cli.js");
const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/main/cli.ts"],
  outdir,
  metafile: true,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // BullMQ's ES build (package.json "module"): its modules are hoisted into one scope rather
  // than each wrapped as a CommonJS module.
  mainFields: ["module", "main"],
  external: [
    "@prisma/*",
    "prisma",
    ".prisma/*",
    "fastify",
    "@fastify/*",
    "@bull-board/*",
    "pino",
    "pino-pretty",
    "prom-client",
    "msgpackr-extract",
    "pg-native",
    "pg-cloudflare",
    "@valkey/*",
  ],
  // The bundled CommonJS packages call require() for Node's modules and the external ones.
  banner: {
    js: "import { createRequire as __coduckRequire } from 'node:module'; const require = __coduckRequire(import.meta.url);",
  },
  plugins: [pgNodeStreams, zodEnglishOnly],
  sourcemap: "linked",
  logLevel: "warning",
}).catch(async (error) => {
  // No stale bundle: without its entry, bin/coduck-worker.js runs tsc's output.
  await rm(entry, { force: true });
  throw error;
});

// Chunks are named by their content, so each build that changed code adds files. Removed here:
// the files this build did not write that are over 10 minutes old. Not younger ones: a build
// running beside this one (another checkout's session) may have just written them, and a
// command started before this build may still import its own chunks.
const written = new Set(
  Object.keys(result.metafile.outputs).map((file) => path.resolve(root, file)),
);
const staleBefore = Date.now() - 10 * 60_000;
for (const file of await readdir(outdir)) {
  const full = path.join(outdir, file);
  if (written.has(full)) continue;
  const info = await stat(full).catch(() => null);
  if (info && info.mtimeMs < staleBefore) await rm(full, { force: true });
}
