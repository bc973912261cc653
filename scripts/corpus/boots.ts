/**
 * Captured app boots and runtime crashes without a database cause (step start / runtime, stack
 * node) for issue 22's corpus: express + pino apps (and a Next.js one) made to crash for real
 * here. Writes captured/boots.jsonl.
 *
 * Run: npx tsx scripts/corpus/boots.ts [case-id-filter]
 */
import { type CaptureSpec, capture } from "./capture.js";
import { appPath, ensureTemplates, TEMPLATES } from "./installs-builds-templates.js";

const FILE = "boots";
const port = () => String(40000 + Math.floor(Math.random() * 9000));

/** An express + pino-http server; `before` runs at module top, `routes` adds handlers. */
function server(
  before: string,
  routes = "",
  listen = 'app.listen(port, () => logger.info({ port }, "listening"));',
) {
  return `import express from "express";
import pino from "pino";
import pinoHttp from "pino-http";
const logger = pino({ base: { service: "orders-api" } });
logger.info({ node: process.version, env: process.env.NODE_ENV }, "booting orders-api v1.4.0");
${before}
const app = express();
app.use(pinoHttp({ logger }));
app.get("/healthz", (_req, res) => res.json({ ok: true }));
${routes}
const port = Number(process.env.PORT ?? 3000);
${listen}
`;
}

const base = (spec: Omit<CaptureSpec, "template" | "stack">): CaptureSpec => ({
  template: TEMPLATES.express,
  stack: "node",
  ...spec,
  env: { PORT: port(), NODE_ENV: "production", ...spec.env },
});

const CASES: CaptureSpec[] = [
  base({
    id: "boot-stripe-key-unset",
    step: "start",
    expected: "START_CRASHED",
    how: "express app that throws at import when STRIPE_SECRET_KEY is not set",
    files: {
      "server.js": server(
        'const stripeKey = process.env.STRIPE_SECRET_KEY;\nif (!stripeKey) throw new Error("Missing required environment variable STRIPE_SECRET_KEY");',
      ),
    },
    command: "npm start",
  }),
  base({
    id: "boot-env-checker-fatal",
    step: "start",
    expected: "START_CRASHED",
    how: "app validating its env at boot and logging a pino fatal line for two unset variables, then exiting 1",
    files: {
      "server.js": server(
        'const required = ["SESSION_SECRET", "S3_BUCKET", "PORT"];\nconst unset = required.filter((k) => !process.env[k]);\nif (unset.length) { logger.fatal({ unset }, "invalid environment: " + unset.join(", ") + " not set"); process.exit(1); }',
      ),
    },
    command: "node server.js",
  }),
  base({
    id: "boot-undefined-split",
    step: "start",
    expected: "START_CRASHED",
    how: "app reading ALLOWED_ORIGINS.split(',') at boot with the variable unset (TypeError)",
    files: {
      "server.js": server(
        'const origins = process.env.ALLOWED_ORIGINS.split(",");\nlogger.info({ origins }, "cors configured");',
      ),
    },
    command: "npm start",
  }),
  base({
    id: "boot-plugin-not-function",
    step: "start",
    expected: "START_CRASHED",
    how: "app calling a default-imported CommonJS helper as a function when it exports an object (TypeError: is not a function)",
    files: {
      "lib/rate.cjs": "module.exports = { createLimiter: (n) => (req, res, next) => next() };\n",
      "server.js": server('import rate from "./lib/rate.cjs";\nconst limiter = rate(100);'),
    },
    command: "node server.js",
  }),
  base({
    id: "boot-settings-trailing-comma",
    step: "start",
    expected: "START_CRASHED",
    how: "app JSON.parse-ing config/settings.json that has a trailing comma",
    files: {
      "config/settings.json":
        '{\n  "currency": "EUR",\n  "taxRate": 0.2,\n  "features": ["returns", "gift-cards"],\n}\n',
      "server.js": server(
        'import { readFileSync } from "node:fs";\nconst settings = JSON.parse(readFileSync("config/settings.json", "utf8"));\nlogger.info({ currency: settings.currency }, "settings loaded");',
      ),
    },
    command: "npm start",
  }),
  base({
    id: "boot-json-import-attr",
    step: "start",
    expected: "START_CRASHED",
    how: "app importing config.json with an import attribute; the JSON has a comment in it",
    files: {
      "config.json": '{\n  // regions served\n  "regions": ["eu-west", "us-east"]\n}\n',
      "server.js": server(
        'import config from "./config.json" with { type: "json" };\nlogger.info({ regions: config.regions }, "config");',
      ),
    },
    command: "node server.js",
  }),
  base({
    id: "boot-port-held-express",
    step: "start",
    expected: "PORT_IN_USE",
    how: "express app listening on PORT while another process already listens there",
    files: { "server.js": server("") },
    command:
      "node -e \"require('net').createServer().listen(process.env.PORT)\" >/dev/null 2>&1 & H=$!; until (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do sleep 0.1; done; npm start; c=$?; kill $H; exit $c",
  }),
  base({
    id: "boot-port-held-http-banner",
    step: "start",
    expected: "PORT_IN_USE",
    how: 'node:http app with a console banner ("0 errors in config") listening on a port another process holds',
    files: {
      "server.js":
        'import http from "node:http";\nconsole.log("=== inventory-svc 3.2.1 ===");\nconsole.log("config check: 0 errors, 1 warning (LOG_LEVEL defaulted to info)");\nconst server = http.createServer((req, res) => res.end("ok"));\nserver.listen(Number(process.env.PORT), "0.0.0.0", () => console.log("ready"));\n',
    },
    command:
      "node -e \"require('net').createServer().listen(process.env.PORT)\" >/dev/null 2>&1 & H=$!; until (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do sleep 0.1; done; node server.js; c=$?; kill $H; exit $c",
  }),
  base({
    id: "boot-pretty-logger-devdep",
    step: "start",
    expected: "MODULE_NOT_FOUND",
    how: "ESM app importing pino-pretty, a devDependency not installed in production (ERR_MODULE_NOT_FOUND)",
    files: {
      "server.js": `import pretty from "pino-pretty";\n${server("").replace("const logger = pino(", "const logger = pino(pretty(), ")}`,
    },
    command: "npm start",
  }),
  base({
    id: "boot-pino-transport-target",
    step: "start",
    expected: "MODULE_NOT_FOUND",
    how: "app configuring pino with transport target pino-pretty, which is not installed",
    files: {
      "server.js": server("").replace(
        'const logger = pino({ base: { service: "orders-api" } });',
        'const logger = pino({ transport: { target: "pino-pretty", options: { colorize: true } } });',
      ),
    },
    command: "node server.js",
  }),
  base({
    id: "boot-cjs-morgan-require",
    step: "start",
    expected: "MODULE_NOT_FOUND",
    how: "CommonJS app requiring morgan, which is not in dependencies",
    files: {
      "server.cjs":
        'const express = require("express");\nconsole.log("[boot] loading middleware");\nconst morgan = require("morgan");\nconst app = express();\napp.use(morgan("combined"));\napp.listen(process.env.PORT);\n',
    },
    command: "node server.cjs",
  }),
  base({
    id: "boot-routes-file-renamed",
    step: "start",
    expected: "MODULE_NOT_FOUND",
    how: "ESM app importing ./routes/users.js after the file was renamed",
    files: {
      "routes/accounts.js": "export const users = [];\n",
      "server.js": server('import { users } from "./routes/users.js";'),
    },
    command: "npm start",
  }),
  base({
    id: "boot-dist-never-built",
    step: "start",
    expected: "MODULE_NOT_FOUND",
    how: "start script node dist/index.js in an app whose build output does not exist",
    files: {
      "package.json":
        '{"name":"billing-api","version":"1.0.0","private":true,"scripts":{"build":"tsc","start":"node dist/index.js"},"dependencies":{"express":"4.21.2"}}\n',
    },
    command: "npm start",
  }),
  base({
    id: "boot-warm-cache-heap",
    step: "start",
    expected: "OUT_OF_MEMORY",
    how: "app warming an in-memory cache at boot under --max-old-space-size=64",
    files: {
      "server.js": server(
        'const cache = new Map();\nlogger.info("warming product cache");\nfor (let i = 0; ; i++) { cache.set("sku-" + i, { id: i, name: "Product " + i, tags: ["x", "y"], price: i * 1.5 }); if (i % 200000 === 0) logger.info({ entries: i }, "cache warming"); }',
      ),
    },
    command: "node --max-old-space-size=64 server.js",
  }),
  base({
    id: "runtime-report-leak-heap",
    step: "runtime",
    expected: "OUT_OF_MEMORY",
    how: "app serving requests, each /report call retaining 4 MB, under --max-old-space-size=96, hit by a loop of requests",
    files: {
      "server.js": server(
        "const retained = [];",
        'app.get("/report", (_req, res) => { retained.push(new Array(500000).fill(0).map((_, i) => ({ i }))); res.json({ rows: retained.length }); });',
      ),
    },
    command:
      "node --max-old-space-size=96 server.js & S=$!; until (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do sleep 0.1; done; for i in $(seq 1 80); do curl -s -o /dev/null http://127.0.0.1:$PORT/report || break; done; wait $S",
  }),
  base({
    id: "boot-bare-rejection",
    step: "start",
    expected: "START_CRASHED",
    how: "app whose boot promise rejects with a plain string (no Error, no stack) and no catch",
    files: {
      "server.js": server(
        'async function loadFlags() { await new Promise((r) => setTimeout(r, 50)); throw "flags unavailable"; }\nloadFlags();',
      ),
    },
    command: "node server.js",
  }),
  base({
    id: "boot-async-init-rejects",
    step: "start",
    expected: "START_CRASHED",
    how: "app whose async init rejects with an Error from its own code (unhandled rejection)",
    files: {
      "server.js": server(
        'async function loadPricing() { const table = { eu: 1.2 }; if (!table.us) throw new Error("pricing table has no region us"); }\nloadPricing();',
      ),
    },
    command: "npm start",
  }),
  base({
    id: "boot-quiet-exit",
    step: "start",
    expected: "UNKNOWN",
    how: "app that exits 1 without printing anything",
    files: { "server.js": 'if (!process.env.FEATURE_SET) process.exit(1);\nimport("express");\n' },
    command: "node server.js",
  }),
  base({
    id: "boot-banner-then-quiet-exit",
    step: "start",
    expected: "UNKNOWN",
    how: "app printing its boot banner and request log lines, then exiting 1 with no message",
    files: {
      "server.js": server("setTimeout(() => process.exit(1), 800);"),
    },
    command:
      "npm start & S=$!; sleep 0.6; curl -s -o /dev/null http://127.0.0.1:$PORT/healthz; wait $S",
  }),
  base({
    id: "boot-error-words-then-typeerror",
    step: "start",
    expected: "START_CRASHED",
    how: "app logging normal lines mentioning error handling (error reporter on, errorHandler registered), then a TypeError on an undefined config object",
    files: {
      "server.js": server(
        'logger.info("error reporting enabled (sampleRate=0.2)");\nlogger.info({ errors: 0 }, "errorHandler middleware registered");\nconst cfg = {};\nlogger.info({ smtp: cfg.mail.host }, "mailer ready");',
      ),
    },
    command: "npm start",
  }),
  base({
    id: "boot-port-word-salad",
    step: "start",
    expected: "START_CRASHED",
    how: "app listening on PORT=web (a Procfile-style value), RangeError ERR_SOCKET_BAD_PORT",
    files: { "server.js": server("") },
    command: "node server.js",
    env: { PORT: "web" },
  }),
  base({
    id: "runtime-handler-throws-in-timer",
    step: "runtime",
    expected: "START_CRASHED",
    how: "app serving requests whose /export handler throws inside a setTimeout (uncaught, process dies)",
    files: {
      "server.js": server(
        "",
        'app.get("/export", (_req, res) => { setTimeout(() => { const job = undefined; res.json({ id: job.id }); }, 10); });',
      ),
    },
    command:
      "node server.js & S=$!; until (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do sleep 0.1; done; for p in /healthz /healthz /export; do curl -s -o /dev/null http://127.0.0.1:$PORT$p; done; wait $S",
  }),
  base({
    id: "runtime-logs-then-serves",
    step: "runtime",
    expected: "START_CRASHED",
    how: "app that keeps serving but logs an uncaught TypeError from a background job every second (handled by process.on uncaughtException)",
    files: {
      "server.js": server(
        'process.on("uncaughtException", (err) => logger.error({ err }, "uncaught exception in background job"));\nsetInterval(() => { const batch = null; logger.info("sync tick"); batch.items.forEach(() => {}); }, 700);',
      ),
    },
    command:
      "node server.js & S=$!; until (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do sleep 0.1; done; curl -s -o /dev/null http://127.0.0.1:$PORT/healthz; wait $S",
    timeoutMs: 3500,
    stillRunning: true,
  }),
  base({
    id: "boot-no-start-no-server",
    step: "start",
    expected: "MISSING_START",
    how: "npm start in an app with no start script and no server.js",
    files: {
      "package.json":
        '{"name":"orders-api","version":"1.2.0","private":true,"type":"module","scripts":{"dev":"node --watch index.js"}}\n',
      "index.js": 'console.log("hi");\n',
    },
    command: "npm start",
  }),
  {
    id: "boot-next-unbuilt",
    stack: "next",
    step: "start",
    expected: "START_CRASHED",
    how: "next start in a Next.js app whose build never ran (no .next directory)",
    template: TEMPLATES.next,
    command: "npm start",
    env: { PORT: port(), NEXT_TELEMETRY_DISABLED: "1" },
  },
  base({
    id: "boot-dotenv-path-json",
    step: "start",
    expected: "START_CRASHED",
    how: "app loading settings with dotenv then JSON.parse(process.env.FEATURE_FLAGS) where the value is not JSON",
    files: {
      ".env.production": "FEATURE_FLAGS={returns:true}\nLOG_LEVEL=info\n",
      "server.js": server(
        'import dotenv from "dotenv";\ndotenv.config({ path: ".env.production" });\nconst flags = JSON.parse(process.env.FEATURE_FLAGS);\nlogger.info({ flags }, "flags");',
      ),
    },
    command: "npm start",
  }),
  base({
    id: "runtime-async-route-rejects",
    step: "runtime",
    expected: "START_CRASHED",
    how: "express 4 app whose async /checkout handler rejects (express 4 does not catch it) and Node 20 exits on the unhandled rejection",
    files: {
      "server.js": server(
        "",
        'app.post("/checkout", async (req, res) => { const cart = await Promise.resolve(req.body); res.json({ total: cart.items.length }); });',
      ),
    },
    command:
      "node server.js & S=$!; until (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do sleep 0.1; done; curl -s -o /dev/null http://127.0.0.1:$PORT/healthz; curl -s -o /dev/null -X POST http://127.0.0.1:$PORT/checkout; wait $S",
  }),
  base({
    id: "boot-env-file-flag",
    step: "start",
    expected: "START_CRASHED",
    how: "start command node --env-file=.env.production server.js where that file was never committed",
    files: { "server.js": server("") },
    command: "node --env-file=.env.production server.js",
  }),
  base({
    id: "boot-stray-token",
    step: "start",
    expected: "START_CRASHED",
    how: "server.js with a syntax error (a stray token after an object literal)",
    files: {
      "server.js": server(
        'const limits = { perMinute: 60, burst: 10 } }\nlogger.info(limits, "limits");',
      ),
    },
    command: "npm start",
  }),
  base({
    id: "boot-require-in-esm",
    step: "start",
    expected: "START_CRASHED",
    how: "ESM app (type: module) calling require() for a local helper",
    files: { "server.js": server('const { slugify } = require("./lib/slug.js");') },
    command: "node server.js",
  }),
  base({
    id: "boot-import-in-cjs",
    step: "start",
    expected: "START_CRASHED",
    how: "an index.js mixing import statements with __dirname in a package without type: module (Node 20 runs it as ESM, where __dirname is undefined)",
    files: {
      "package.json":
        '{"name":"orders-api","version":"1.2.0","private":true,"scripts":{"start":"node index.js"},"dependencies":{"express":"4.21.2"}}\n',
      "index.js":
        'import express from "express";\nimport path from "node:path";\nconsole.log("[web] starting");\nconst app = express();\napp.use(express.static(path.join(__dirname, "public")));\napp.listen(process.env.PORT);\n',
    },
    command: "npm start",
  }),
  base({
    id: "boot-ts-entry-plain-node",
    step: "start",
    expected: "START_CRASHED",
    how: "start command node src/index.ts (TypeScript source run by plain Node 20, no loader)",
    files: {
      "src/index.ts":
        'import express from "express";\nconst port: number = Number(process.env.PORT);\nexpress().listen(port);\n',
    },
    command: "node src/index.ts",
  }),
  base({
    id: "boot-rates-api-dns",
    step: "start",
    expected: "START_CRASHED",
    how: "app fetching exchange rates from a third-party API at boot (top-level await); the name does not resolve here. No database involved",
    files: {
      "server.js": server(
        'const rates = await fetch("https://api.rates-provider.example/v1/latest?base=EUR").then((r) => r.json());\nlogger.info({ currencies: Object.keys(rates).length }, "rates loaded");',
      ),
    },
    command: "npm start",
  }),
  base({
    id: "boot-session-cache-refused",
    step: "start",
    expected: "START_CRASHED",
    how: "app connecting its session cache (node-redis 4) to 127.0.0.1:6390 at boot, where nothing listens; no database involved",
    prepare: ["npm install --no-audit --no-fund redis@4.7.0"],
    files: {
      "server.js": server(
        'import { createClient } from "redis";\nconst cache = createClient({ url: process.env.CACHE_URL ?? "redis://127.0.0.1:6390", socket: { reconnectStrategy: false } });\nawait cache.connect();\nlogger.info("session cache connected");',
      ),
    },
    command: "node server.js",
  }),
];

await ensureTemplates();
const filters = (process.argv[2] ?? "").split(",");
let failed = 0;
for (const spec of CASES.filter((c) => filters.some((f) => c.id.includes(f)))) {
  try {
    const done = await capture(FILE, { ...spec, env: { PATH: appPath(), ...spec.env } });
    console.log(`ok ${spec.id} exit=${done.exitCode} lines=${done.log.split("\n").length}`);
  } catch (error) {
    failed++;
    console.log(`FAILED ${spec.id}: ${(error as Error).message.slice(0, 600)}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
