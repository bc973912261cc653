/**
 * Captured build failures (step build) for issue 22's corpus: tsc, Next.js 15, Vite 6, esbuild
 * and npm build scripts, each made to fail for real here on a copy of a prepared template
 * (installs-builds-templates.ts). Writes captured/builds.jsonl.
 *
 * Run: npx tsx scripts/corpus/builds.ts [case-id-filter]
 */
import { type CaptureSpec, capture } from "./capture.js";
import { appPath, ensureTemplates, TEMPLATES } from "./installs-builds-templates.js";

const FILE = "builds";
const ENV = { NEXT_TELEMETRY_DISABLED: "1" };

const NEXT_PAGE_OK = `export default function Home() {
  return <main><h1>Shop</h1><p>Welcome back.</p></main>;
}
`;

const CASES: CaptureSpec[] = [
  // --- tsc ---
  {
    id: "tsc-invoice-string-total",
    stack: "tsc",
    step: "build",
    expected: "TYPESCRIPT_ERROR",
    how: "tsc build where invoiceTotal returns a string from a function typed number",
    template: TEMPLATES.tsc,
    files: {
      "src/invoices.ts":
        "export function invoiceTotal(lines: number[]): number {\n  const sum = lines.reduce((a, b) => a + b, 0);\n  return sum.toFixed(2);\n}\n",
    },
    command: "npm run build",
  },
  {
    id: "tsc-strict-several-files",
    stack: "tsc",
    step: "build",
    expected: "TYPESCRIPT_ERROR",
    how: "tsc build with strict-mode errors in three files (possibly undefined, implicit any, wrong argument)",
    template: TEMPLATES.tsc,
    files: {
      "src/customers.ts":
        'type Customer = { id: string; email?: string };\nexport function domain(c: Customer): string {\n  return c.email.split("@")[1];\n}\nexport function byId(list, id) {\n  return list.find((c) => c.id === id);\n}\n',
      "src/report.ts":
        'import { invoiceTotal } from "./invoices.js";\nexport const total = invoiceTotal(["12", "30"]);\nconsole.log("report ready", total);\n',
    },
    command: "npm run build",
  },
  {
    id: "tsc-relative-import-typo",
    stack: "tsc",
    step: "build",
    expected: "TYPESCRIPT_ERROR",
    how: "tsc build importing ./invoice.js where the file is invoices.ts (TS2307)",
    template: TEMPLATES.tsc,
    files: {
      "src/index.ts":
        'import express from "express";\nimport { invoiceTotal } from "./invoice.js";\nconst app = express();\napp.get("/t", (_q, r) => { r.json({ t: invoiceTotal([1]) }); });\napp.listen(3000);\n',
    },
    command: "npm run build",
  },
  {
    id: "tsc-zod-not-in-deps",
    stack: "tsc",
    step: "build",
    expected: "TYPESCRIPT_ERROR",
    how: "tsc build of a file importing zod, which is not a dependency (TS2307)",
    template: TEMPLATES.tsc,
    files: {
      "src/schema.ts":
        'import { z } from "zod";\nexport const Invoice = z.object({ id: z.string(), lines: z.array(z.number()) });\nexport type Invoice = z.infer<typeof Invoice>;\n',
    },
    command: "npm run build",
  },
  {
    id: "tsc-four-nine-new-types",
    stack: "tsc",
    step: "build",
    expected: "TYPESCRIPT_ERROR",
    how: "tsc 4.9 (pinned in devDependencies) against @types/node 24.3 (Disposable, Symbol.dispose), skipLibCheck off: errors only inside node_modules type files",
    template: TEMPLATES.tsc,
    prepare: ["npm install --no-audit --no-fund --save-dev typescript@4.9.5 @types/node@24.3.0"],
    files: {
      "tsconfig.json":
        '{"compilerOptions":{"target":"ES2020","module":"commonjs","outDir":"dist","rootDir":"src","strict":true,"esModuleInterop":true},"include":["src"]}\n',
    },
    command: "npm run build",
  },
  {
    id: "tsc-five-one-types-node-24",
    stack: "tsc",
    step: "build",
    expected: "TYPESCRIPT_ERROR",
    how: "tsc 5.1 with @types/node 24 (written for a newer TypeScript), skipLibCheck off: errors only in node_modules/@types",
    template: TEMPLATES.tsc,
    prepare: ["npm install --no-audit --no-fund --save-dev typescript@5.1.6 @types/node@24.3.0"],
    files: {
      "tsconfig.json":
        '{"compilerOptions":{"target":"ES2022","module":"commonjs","outDir":"dist","rootDir":"src","strict":true,"esModuleInterop":true},"include":["src"]}\n',
    },
    command: "npm run build",
  },
  {
    id: "tsc-config-misspelt-option",
    stack: "tsc",
    step: "build",
    expected: "TYPESCRIPT_ERROR",
    how: "tsc build with a misspelt compiler option (moduleResoution) in tsconfig.json",
    template: TEMPLATES.tsc,
    files: {
      "tsconfig.json":
        '{"compilerOptions":{"target":"ES2022","module":"NodeNext","moduleResoution":"NodeNext","outDir":"dist","rootDir":"src","strict":true}, "include":["src"]}\n',
    },
    command: "npm run build",
  },
  {
    id: "tsc-config-bundler-with-nodenext",
    stack: "tsc",
    step: "build",
    expected: "TYPESCRIPT_ERROR",
    how: "tsc build with moduleResolution bundler next to module NodeNext (TS5095 / TS5110 option conflict)",
    template: TEMPLATES.tsc,
    files: {
      "tsconfig.json":
        '{"compilerOptions":{"target":"ES2022","module":"NodeNext","moduleResolution":"bundler","outDir":"dist","rootDir":"src","strict":true},"include":["src"]}\n',
    },
    command: "npx tsc -p tsconfig.json --pretty",
  },
  {
    id: "tsc-binary-absent",
    stack: "npm",
    step: "build",
    expected: "BUILD_FAILED",
    how: "npm run build (tsc -p .) in an app that never listed typescript in its dependencies",
    template: TEMPLATES.express,
    files: {
      "package.json":
        '{"name":"orders-api","version":"1.2.0","private":true,"scripts":{"build":"tsc -p .","start":"node dist/index.js"},"dependencies":{"express":"4.21.2"}}\n',
    },
    command: "npm run build",
  },
  // --- Next.js ---
  {
    id: "next-page-prop-mismatch",
    stack: "next",
    step: "build",
    expected: "TYPESCRIPT_ERROR",
    how: "next build where a page passes a number to a component prop typed string (Next's type check)",
    template: TEMPLATES.next,
    files: {
      "app/price.tsx":
        "export function Price({ label }: { label: string }) {\n  return <span>{label.toUpperCase()}</span>;\n}\n",
      "app/page.tsx":
        'import { Price } from "./price";\nexport default function Home() {\n  return <main><h1>Shop</h1><Price label={19.99} /></main>;\n}\n',
    },
    command: "npm run build",
    env: ENV,
  },
  {
    id: "next-alias-lib-absent",
    stack: "next",
    step: "build",
    expected: "MODULE_NOT_FOUND",
    how: "next build of a page importing @/lib/cart, a file that was never committed",
    template: TEMPLATES.next,
    files: {
      "app/page.tsx":
        'import { cartCount } from "@/lib/cart";\nexport default function Home() {\n  return <main><h1>Shop</h1><p>{cartCount()} items</p></main>;\n}\n',
    },
    command: "npm run build",
    env: ENV,
  },
  {
    id: "next-date-fns-absent",
    stack: "next",
    step: "build",
    expected: "MODULE_NOT_FOUND",
    how: "next build of a page importing date-fns, which is not installed",
    template: TEMPLATES.next,
    files: {
      "app/products/page.tsx":
        'import { format } from "date-fns";\nexport default function Products() {\n  return <p>Updated {format(new Date(0), "yyyy-MM-dd")}</p>;\n}\n',
    },
    command: "npm run build",
    env: ENV,
  },
  {
    id: "next-jsx-unclosed",
    stack: "next",
    step: "build",
    expected: "BUILD_FAILED",
    how: "next build of a page with an unclosed JSX element (SWC syntax error)",
    template: TEMPLATES.next,
    files: {
      "app/page.tsx":
        "export default function Home() {\n  return (\n    <main>\n      <h1>Shop</h1>\n      <p>Welcome back.\n    </main>\n  );\n}\n",
    },
    command: "npm run build",
    env: ENV,
  },
  {
    id: "next-static-page-throws",
    stack: "next",
    step: "build",
    expected: "BUILD_FAILED",
    how: "next build where /products reads FEATURED_IDS at render and calls .split on undefined during static generation",
    template: TEMPLATES.next,
    files: {
      "app/page.tsx": NEXT_PAGE_OK,
      "app/products/page.tsx":
        'const featured = () => process.env.FEATURED_IDS!.split(",").map(Number);\nexport default function Products() {\n  return <ul>{featured().map((id) => <li key={id}>#{id}</li>)}</ul>;\n}\n',
    },
    command: "npm run build",
    env: ENV,
  },
  {
    id: "next-small-heap",
    stack: "next",
    step: "build",
    expected: "OUT_OF_MEMORY",
    how: "next build with NODE_OPTIONS=--max-old-space-size=96 set in the project's environment",
    template: TEMPLATES.next,
    command: "npm run build",
    env: { ...ENV, NODE_OPTIONS: "--max-old-space-size=96" },
  },
  // --- Vite ---
  {
    id: "vite-charts-file-absent",
    stack: "vite",
    step: "build",
    expected: "MODULE_NOT_FOUND",
    how: "vite build importing ./charts, a file that was never committed",
    template: TEMPLATES.vite,
    files: {
      "src/main.ts":
        'import { formatTotal } from "./format";\nimport { drawChart } from "./charts";\nconst app = document.querySelector<HTMLDivElement>("#app")!;\napp.innerHTML = `<h1>Dashboard</h1><p>${formatTotal(1234.5)}</p>`;\ndrawChart(app);\n',
    },
    command: "npm run build",
  },
  {
    id: "vite-chartjs-absent",
    stack: "vite",
    step: "build",
    expected: "MODULE_NOT_FOUND",
    how: "vite build importing chart.js, which is not installed",
    template: TEMPLATES.vite,
    files: {
      "src/main.ts":
        'import Chart from "chart.js/auto";\nimport { formatTotal } from "./format";\nconst app = document.querySelector<HTMLDivElement>("#app")!;\napp.innerHTML = `<canvas id="c"></canvas><p>${formatTotal(1)}</p>`;\nnew Chart(document.getElementById("c") as HTMLCanvasElement, { type: "bar", data: { labels: [], datasets: [] } });\n',
    },
    command: "npm run build",
  },
  {
    id: "vite-ts-stray-brace",
    stack: "vite",
    step: "build",
    expected: "BUILD_FAILED",
    how: "vite build of a plain TS module with a stray closing brace (esbuild transform syntax error)",
    template: TEMPLATES.vite,
    files: {
      "src/format.ts":
        'export function formatTotal(value: number): string {\n  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(value);\n}\n}\n',
    },
    command: "npm run build",
  },
  {
    id: "vite-export-renamed",
    stack: "vite",
    step: "build",
    expected: "BUILD_FAILED",
    how: "vite build importing formatMoney from ./format after it was renamed formatTotal (Rollup: not exported)",
    template: TEMPLATES.vite,
    files: {
      "src/main.ts":
        'import { formatMoney } from "./format";\nconst app = document.querySelector<HTMLDivElement>("#app")!;\napp.innerHTML = `<p>${formatMoney(1234.5)}</p>`;\n',
    },
    command: "npm run build",
  },
  {
    id: "vite-config-throws",
    stack: "vite",
    step: "build",
    expected: "BUILD_FAILED",
    how: "vite build whose vite.config.ts reads a required VITE_API_BASE at load and throws",
    template: TEMPLATES.vite,
    files: {
      "vite.config.ts":
        'import { defineConfig } from "vite";\nconst api = process.env.VITE_API_BASE;\nif (!api) throw new Error("VITE_API_BASE must be set for production builds");\nexport default defineConfig({ define: { __API__: JSON.stringify(api) } });\n',
    },
    command: "npm run build",
  },
  {
    id: "vite-entry-renamed",
    stack: "vite",
    step: "build",
    expected: "MODULE_NOT_FOUND",
    how: "vite build where index.html still points at /src/main.ts after it was renamed src/app.ts",
    template: TEMPLATES.vite,
    prepare: ["mv src/main.ts src/app.ts"],
    command: "npm run build",
  },
  // --- esbuild ---
  {
    id: "esbuild-jobs-file-absent",
    stack: "esbuild",
    step: "build",
    expected: "MODULE_NOT_FOUND",
    how: "esbuild bundle importing ./queue, a file that was never committed",
    template: TEMPLATES.esbuild,
    files: {
      "src/index.ts":
        'import pino from "pino";\nimport { handle } from "./jobs";\nimport { connectQueue } from "./queue";\nconst log = pino();\nlog.info("worker booting");\nconnectQueue().then(() => setInterval(() => handle({ kind: "sync" }), 5000));\n',
    },
    command: "npm run build",
  },
  {
    id: "esbuild-ioredis-absent",
    stack: "esbuild",
    step: "build",
    expected: "MODULE_NOT_FOUND",
    how: "esbuild bundle importing ioredis, which is not installed",
    template: TEMPLATES.esbuild,
    files: {
      "src/index.ts":
        'import pino from "pino";\nimport Redis from "ioredis";\nconst log = pino();\nconst redis = new Redis(process.env.REDIS_URL!);\nredis.ping().then(() => log.info("worker booting"));\n',
    },
    command: "npm run build",
  },
  {
    id: "esbuild-missing-paren",
    stack: "esbuild",
    step: "build",
    expected: "BUILD_FAILED",
    how: "esbuild bundle of a file with a missing closing parenthesis",
    template: TEMPLATES.esbuild,
    files: {
      "src/jobs.ts":
        "export type Job = { kind: string };\nexport function handle(job: Job): void {\n  console.log(`handled ${job.kind}`;\n}\n",
    },
    command: "npm run build",
  },
  {
    id: "esbuild-api-script-syntax",
    stack: "esbuild",
    step: "build",
    expected: "BUILD_FAILED",
    how: "a build.mjs calling esbuild's build() API on a file with an invalid assignment target",
    template: TEMPLATES.esbuild,
    files: {
      "build.mjs":
        'import { build } from "esbuild";\nconsole.log("bundling worker for node20...");\nawait build({ entryPoints: ["src/index.ts"], bundle: true, platform: "node", target: "node20", outfile: "dist/index.js", logLevel: "info" });\nconsole.log("bundle written");\n',
      "src/jobs.ts":
        'export type Job = { kind: string };\nexport function handle(job: Job): void {\n  job.kind + "x" = "sync";\n}\n',
    },
    command: "node build.mjs",
  },
  {
    id: "esbuild-api-two-unresolved",
    stack: "esbuild",
    step: "build",
    expected: "MODULE_NOT_FOUND",
    how: "a build.mjs calling esbuild's build() on code importing two packages that are not installed",
    template: TEMPLATES.esbuild,
    files: {
      "build.mjs":
        'import { build } from "esbuild";\nawait build({ entryPoints: ["src/index.ts"], bundle: true, platform: "node", outfile: "dist/index.js" });\n',
      "src/index.ts":
        'import pino from "pino";\nimport { Queue } from "bullmq";\nimport dayjs from "dayjs";\nconst log = pino();\nnew Queue("jobs");\nlog.info(dayjs().format());\n',
    },
    command: "node build.mjs",
  },
  // --- npm build scripts ---
  {
    id: "npm-run-build-absent",
    stack: "npm",
    step: "build",
    expected: "MISSING_SCRIPT",
    how: "npm run build in an app whose package.json has only a start script",
    template: TEMPLATES.express,
    command: "npm run build",
  },
  {
    id: "pnpm-run-build-absent",
    stack: "pnpm",
    step: "build",
    expected: "MISSING_SCRIPT",
    how: "pnpm 9 run build in an app whose package.json has no build script",
    template: TEMPLATES.express,
    files: {
      "package.json":
        '{"name":"orders-api","version":"1.2.0","private":true,"type":"module","packageManager":"pnpm@9.15.9","scripts":{"start":"node server.js","dev":"node --watch server.js"}}\n',
    },
    command: "corepack pnpm run build",
    env: { COREPACK_ENABLE_DOWNLOAD_PROMPT: "0", COREPACK_INTEGRITY_KEYS: "0" },
  },
  {
    id: "yarn1-run-build-absent",
    stack: "yarn",
    step: "build",
    expected: "MISSING_SCRIPT",
    how: "yarn 1.22 run build in an app without a build script",
    template: TEMPLATES.express,
    files: {
      "package.json":
        '{"name":"orders-api","version":"1.2.0","private":true,"type":"module","packageManager":"yarn@1.22.22","scripts":{"start":"node server.js"}}\n',
    },
    command: "corepack yarn run build",
    env: { COREPACK_ENABLE_DOWNLOAD_PROMPT: "0", COREPACK_INTEGRITY_KEYS: "0" },
  },
  {
    id: "tsc-heap-forty",
    stack: "tsc",
    step: "build",
    expected: "OUT_OF_MEMORY",
    how: "npm run build (tsc) with NODE_OPTIONS=--max-old-space-size=40",
    template: TEMPLATES.tsc,
    command: "npm run build",
    env: { NODE_OPTIONS: "--max-old-space-size=40" },
  },
  {
    id: "npm-sitemap-script-heap",
    stack: "npm",
    step: "build",
    expected: "OUT_OF_MEMORY",
    how: "a build script generating a sitemap that keeps every URL object in memory, under --max-old-space-size=128",
    template: TEMPLATES.express,
    files: {
      "package.json":
        '{"name":"orders-api","version":"1.2.0","private":true,"type":"module","scripts":{"build":"node --max-old-space-size=128 scripts/sitemap.js","start":"node server.js"}}\n',
      "scripts/sitemap.js":
        'console.log("[sitemap] collecting routes");\nconst urls = [];\nfor (let i = 0; ; i++) {\n  urls.push({ loc: `https://shop.example.com/p/${i}`, lastmod: new Date().toISOString(), tags: ["a", "b", String(i)] });\n  if (i % 500000 === 0) console.log(`[sitemap] ${i} urls`);\n}\n',
    },
    command: "npm run build",
  },
  {
    id: "npm-build-quiet-exit",
    stack: "npm",
    step: "build",
    expected: "UNKNOWN",
    how: "a build script (node scripts/build.mjs) that exits 1 without printing anything",
    template: TEMPLATES.express,
    files: {
      "package.json":
        '{"name":"orders-api","version":"1.2.0","private":true,"type":"module","scripts":{"build":"node scripts/build.mjs","start":"node server.js"}}\n',
      "scripts/build.mjs":
        'import { existsSync } from "node:fs";\nif (!existsSync(".build-stamp")) process.exit(1);\n',
    },
    command: "npm run build",
  },
  {
    id: "npm-build-shell-test",
    stack: "npm",
    step: "build",
    expected: "UNKNOWN",
    how: "a build script chaining a shell test ([ -d assets ]) that fails silently before copying",
    template: TEMPLATES.express,
    files: {
      "package.json":
        '{"name":"orders-api","version":"1.2.0","private":true,"type":"module","scripts":{"build":"echo copying static assets && [ -d assets ] && cp -r assets public/","start":"node server.js"}}\n',
    },
    command: "npm run build",
  },
  {
    id: "bun-run-build-absent",
    stack: "bun",
    step: "build",
    expected: "MISSING_SCRIPT",
    how: "bun run build in an app whose package.json has no build script",
    template: TEMPLATES.express,
    command: "bun run build",
    env: { PATH: `${TEMPLATES.bun}/node_modules/.bin:${appPath()}` },
  },
  {
    id: "bun-bundle-queue-file-absent",
    stack: "bun",
    step: "build",
    expected: "MODULE_NOT_FOUND",
    how: "bun build (Bun's bundler) of a worker importing ./queue, a file that was never committed",
    template: TEMPLATES.esbuild,
    files: {
      "src/index.ts":
        'import pino from "pino";\nimport { handle } from "./jobs";\nimport { connectQueue } from "./queue";\nconst log = pino();\nconnectQueue().then(() => setInterval(() => handle({ kind: "sync" }), 5000));\nlog.info("worker booting");\n',
    },
    command: "bun build src/index.ts --target=node --outdir=dist",
    env: { PATH: `${TEMPLATES.bun}/node_modules/.bin:${appPath()}` },
  },
  {
    id: "bun-bundle-brace",
    stack: "bun",
    step: "build",
    expected: "BUILD_FAILED",
    how: "bun build of a file with a stray closing brace",
    template: TEMPLATES.esbuild,
    files: {
      "src/jobs.ts":
        "export type Job = { kind: string };\nexport function handle(job: Job): void {\n  console.log(`handled ${job.kind}`);\n}\n}\n",
    },
    command: "bun build src/index.ts --target=node --outdir=dist",
    env: { PATH: `${TEMPLATES.bun}/node_modules/.bin:${appPath()}` },
  },
  {
    id: "next-products-api-at-build",
    stack: "next",
    step: "build",
    expected: "BUILD_FAILED",
    how: "next build where /products fetches the shop's own API (http://127.0.0.1:4010, not running at build time) during static generation",
    template: TEMPLATES.next,
    files: {
      "app/products/page.tsx":
        'type Product = { id: number; name: string };\nexport default async function Products() {\n  const res = await fetch("http://127.0.0.1:4010/api/products");\n  const products: Product[] = await res.json();\n  return <ul>{products.map((p) => <li key={p.id}>{p.name}</li>)}</ul>;\n}\n',
    },
    command: "npm run build",
    env: ENV,
  },
  {
    id: "next-hook-in-server-page",
    stack: "next",
    step: "build",
    expected: "BUILD_FAILED",
    how: 'next build of an app-router page using useState without "use client"',
    template: TEMPLATES.next,
    files: {
      "app/page.tsx":
        'import { useState } from "react";\nexport default function Home() {\n  const [count] = useState(0);\n  return <main><h1>Shop</h1><p>{count} items</p></main>;\n}\n',
    },
    command: "npm run build",
    env: ENV,
  },
  {
    id: "tsc-four-nine-plus-own-slip",
    stack: "tsc",
    step: "build",
    expected: "TYPESCRIPT_ERROR",
    how: "tsc 4.9 with @types/node 24 (errors in node_modules/@types) AND one type error in the app's own src/invoices.ts",
    template: TEMPLATES.tsc,
    prepare: ["npm install --no-audit --no-fund --save-dev typescript@4.9.5 @types/node@24.3.0"],
    files: {
      "tsconfig.json":
        '{"compilerOptions":{"target":"ES2020","module":"commonjs","outDir":"dist","rootDir":"src","strict":true,"esModuleInterop":true},"include":["src"]}\n',
      "src/invoices.ts":
        'export function invoiceTotal(lines: number[]): number {\n  return lines.join("+");\n}\n',
    },
    command: "npm run build",
  },
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
