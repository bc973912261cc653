/**
 * Fills test/fixtures/failure-corpus/noise.txt with lines captured from SUCCESSFUL runs of the
 * tools and apps the corpus covers (npm installs with deprecation warnings, next build, vite
 * build, esbuild, prisma generate, an express + pino-http server answering requests and health
 * checks). arrival.ts mixes these lines into captured failures, so none of them may come from a
 * failure or name a cause: every run here must exit 0 (or be a server stopped by us after it
 * answered), and lines that read like a cause are dropped.
 *
 * Run: npx tsx scripts/corpus/noise.ts  (needs the templates under /tmp/corpus-templates, see
 * scripts/corpus/installs-builds-templates.sh).
 */
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { appPath, ensureTemplates, TEMPLATES } from "./installs-builds-templates.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const NOISE = path.join(ROOT, "test/fixtures/failure-corpus/noise.txt");

// A line that names (or could be read as) a cause is never noise.
const CAUSE_WORDS =
  /error|fail|exception|does not exist|not found|cannot|can't|refused|denied|invalid|killed|timed? ?out|heap|memory|abort|fatal|panic|unhandled|missing|conflict|out of sync|deprecat|unsupported|no lockfile|lockfile (is )?(absent|frozen|needs)/i;
const CAUSE_CODES = /\bE[A-Z]{4,}\b|ERR!|ERR_|\bP\d{4}\b|\bTS\d{4}\b|"statusCode":5\d\d/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is stripped
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\r/g;

type Source = { name: string; quota: number; lines: string[] };

function run(
  command: string,
  cwd: string,
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", `exec 2>&1; ${command}`], {
      cwd,
      env: { ...process.env, CHECKPOINT_DISABLE: "1", NEXT_TELEMETRY_DISABLED: "1", ...opts.env },
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {}
    }, opts.timeoutMs ?? 300_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

async function succeeded(command: string, cwd: string, env?: Record<string, string>) {
  const done = await run(command, cwd, { env });
  if (done.code !== 0) throw new Error(`noise source \`${command}\` did not succeed:\n${done.out}`);
  return done.out;
}

function clean(out: string, dir: string): string[] {
  return out
    .replace(ANSI, "")
    .split("\n")
    .map((line) => line.split(dir).join("/app").trimEnd())
    .filter(
      (line) =>
        line.trim().length > 2 &&
        !CAUSE_WORDS.test(line) &&
        !CAUSE_CODES.test(line) &&
        !line.startsWith("#"),
    );
}

async function inCopy<T>(template: string | undefined, fn: (dir: string) => Promise<T>) {
  const work = await mkdtemp(path.join(tmpdir(), "coduck-noise-"));
  const dir = path.join(work, "app");
  if (template) await cp(template, dir, { recursive: true, verbatimSymlinks: true });
  else await mkdir(dir);
  try {
    return await fn(dir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const SERVER = `import express from "express";
import pino from "pino";
import pinoHttp from "pino-http";
const logger = pino({ base: { service: "orders-api" } });
const app = express();
app.use(pinoHttp({ logger, autoLogging: { ignore: () => false } }));
app.get("/healthz", (_req, res) => res.json({ ok: true }));
app.get("/api/orders", (_req, res) => res.json([{ id: 1 }, { id: 2 }]));
app.get("/api/orders/:id", (req, res) => res.json({ id: Number(req.params.id) }));
app.post("/api/orders", (_req, res) => res.status(201).json({ id: 3 }));
app.get("/", (_req, res) => res.send("orders-api"));
const port = Number(process.env.PORT ?? 3000);
app.listen(port, "0.0.0.0", () => {
  console.log("orders-api v1.2.0 starting (NODE_ENV=" + process.env.NODE_ENV + ")");
  logger.info({ port }, "server listening");
});
`;

async function main() {
  await ensureTemplates();
  const sources: Source[] = [];

  // npm: deprecation warnings and the summary of an install that worked.
  sources.push({
    name: "npm",
    quota: 25,
    lines: await inCopy(undefined, async (dir) => {
      await writeFile(
        path.join(dir, "package.json"),
        JSON.stringify({ name: "legacy-tools", version: "1.0.0", private: true }),
      );
      const out = await succeeded(
        "npm install --no-fund rimraf@3 glob@7 uuid@3 esbuild@0.25.10 sharp@0.34.4 bcrypt@5.1.1 && npm ci --no-fund && npm ls --depth=0",
        dir,
      );
      return clean(out, dir);
    }),
  });

  // pnpm, yarn 1 and bun installs that worked (corepack; bun from the `bun` npm package).
  sources.push({
    name: "pnpm-yarn-bun",
    quota: 26,
    lines: await inCopy(undefined, async (dir) => {
      const manifest = (pm?: string) =>
        JSON.stringify({
          name: "orders-api",
          version: "1.4.0",
          private: true,
          ...(pm ? { packageManager: pm } : {}),
          dependencies: { express: "^4.21.2", pino: "^9.6.0", dotenv: "^16.4.7" },
        });
      const env = {
        COREPACK_ENABLE_DOWNLOAD_PROMPT: "0",
        COREPACK_INTEGRITY_KEYS: "0",
        COREPACK_NPM_REGISTRY: "https://registry.npmjs.org",
        PATH: `${TEMPLATES.bun}/node_modules/.bin:${appPath()}`,
      };
      let out = "";
      for (const [pm, command] of [
        ["pnpm@9.15.9", "corepack pnpm install && corepack pnpm install --frozen-lockfile"],
        ["yarn@1.22.22", "corepack yarn install && corepack yarn install --frozen-lockfile"],
        [undefined, "bun install && bun install --frozen-lockfile"],
      ] as const) {
        await rm(path.join(dir, "node_modules"), { recursive: true, force: true });
        await writeFile(path.join(dir, "package.json"), manifest(pm));
        out += await succeeded(command, dir, env);
      }
      return clean(out, dir);
    }),
  });

  // next build (the Next.js template's own page).
  sources.push({
    name: "next",
    quota: 34,
    lines: await inCopy(TEMPLATES.next, async (dir) =>
      clean(await succeeded("npm run build", dir), dir),
    ),
  });

  // vite build.
  sources.push({
    name: "vite",
    quota: 15,
    lines: await inCopy(TEMPLATES.vite, async (dir) =>
      clean(await succeeded("npm run build", dir), dir),
    ),
  });

  // esbuild bundle.
  sources.push({
    name: "esbuild",
    quota: 6,
    lines: await inCopy(TEMPLATES.esbuild, async (dir) =>
      clean(
        await succeeded(
          "npm run build && npx esbuild src/index.ts --bundle --platform=node --minify --outfile=dist/min.js --metafile=dist/meta.json --analyze",
          dir,
        ),
        dir,
      ),
    ),
  });

  // prisma generate (offline, JS engines).
  sources.push({
    name: "prisma",
    quota: 12,
    lines: await inCopy(TEMPLATES.prisma, async (dir) =>
      clean(
        await succeeded("npx prisma generate && npx prisma validate && npx prisma format", dir, {
          DATABASE_URL: "postgresql://app:app@127.0.0.1:6432/app",
        }),
        dir,
      ),
    ),
  });

  // An express + pino-http app answering requests and health checks.
  sources.push({
    name: "requests",
    quota: 70,
    lines: await inCopy(TEMPLATES.express, async (dir) => {
      await writeFile(path.join(dir, "server.js"), SERVER);
      const port = 38000 + Math.floor(Math.random() * 1000);
      const curls = [
        "/healthz",
        "/",
        "/api/orders",
        "/api/orders/17",
        "/healthz",
        "/api/orders/4",
        "/healthz",
        "/api/orders",
      ]
        .map((p) => `curl -s -o /dev/null -A 'Mozilla/5.0' http://127.0.0.1:${port}${p}`)
        .join("; ");
      const post = `curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '{}' http://127.0.0.1:${port}/api/orders`;
      const done = await run(
        `node server.js & sleep 1.5; for i in 1 2 3 4 5 6; do ${curls}; ${post}; curl -s -o /dev/null -A 'kube-probe/1.29' http://127.0.0.1:${port}/healthz; done; sleep 0.5; kill %1`,
        dir,
        { env: { PORT: String(port), NODE_ENV: "production" }, timeoutMs: 30_000 },
      );
      return clean(done.out, dir).filter((l) => !l.includes("Terminated"));
    }),
  });

  const picked: string[] = [];
  for (const source of sources) {
    const unique = [...new Set(source.lines)];
    // Spread the picks over the whole run rather than its first lines.
    const step = Math.max(1, unique.length / source.quota);
    for (let i = 0; i < unique.length && picked.length < 1000; i += step) {
      const line = unique[Math.floor(i)];
      if (line !== undefined) picked.push(line);
    }
    console.log(
      `${source.name}: ${unique.length} lines, kept ${Math.min(unique.length, source.quota)}`,
    );
  }
  const header = [
    "# Lines captured from SUCCESSFUL runs (scripts/corpus/noise.ts): npm, pnpm, yarn 1 and bun",
    "# installs, next build, vite build, esbuild, prisma generate, an express + pino-http app's",
    "# request and health-check logs. arrival.ts mixes them into captured failures. Never a line of",
    "# a failure, never a line naming a cause. Regenerate: npx tsx scripts/corpus/noise.ts",
  ];
  await writeFile(NOISE, `${[...header, ...picked].join("\n")}\n`);
  console.log(`noise.txt: ${picked.length} lines`);
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
