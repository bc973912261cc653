#!/usr/bin/env bash
# Makes the templates installs.ts, builds.ts, boots.ts and noise.ts copy per case, under
# /tmp/corpus-templates/ib-* (each installed once with npm). Rerun safely: an existing template
# with node_modules is left alone.
set -euo pipefail
BASE=/tmp/corpus-templates
mkdir -p "$BASE"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

make() { # name, package.json
  local dir="$BASE/ib-$1"
  if [ -d "$dir/node_modules" ]; then return; fi
  mkdir -p "$dir"
  printf '%s\n' "$2" > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund)
}

make next '{"name":"shop-web","version":"0.1.0","private":true,"scripts":{"build":"next build","start":"next start"},"dependencies":{"next":"15.5.4","react":"19.1.1","react-dom":"19.1.1"},"devDependencies":{"typescript":"5.9.3","@types/react":"19.1.13","@types/node":"20.19.17"}}'
make vite '{"name":"dash-ui","version":"0.0.1","private":true,"type":"module","scripts":{"build":"vite build","dev":"vite"},"devDependencies":{"vite":"6.4.1","typescript":"5.9.3"}}'
make tsc '{"name":"billing-api","version":"1.0.0","private":true,"scripts":{"build":"tsc -p tsconfig.json","start":"node dist/index.js"},"dependencies":{"express":"4.21.2","pino":"9.6.0"},"devDependencies":{"typescript":"5.9.3","@types/node":"20.19.17","@types/express":"4.17.21"}}'
make esb '{"name":"worker-bundle","version":"1.0.0","private":true,"scripts":{"build":"esbuild src/index.ts --bundle --platform=node --outfile=dist/index.js"},"dependencies":{"pino":"9.6.0"},"devDependencies":{"esbuild":"0.25.10"}}'
make express '{"name":"orders-api","version":"1.2.0","private":true,"type":"module","scripts":{"start":"node server.js"},"dependencies":{"express":"4.21.2","pino":"9.6.0","pino-http":"10.4.0","dotenv":"16.4.7"}}'
make bun '{"name":"bun-tool","private":true,"dependencies":{"bun":"1.2.23"}}'
if [ ! -d "$BASE/ib-prisma/node_modules" ]; then
  mkdir -p "$BASE/ib-prisma"
  cp -r "$ROOT/test/fixtures/apps/prisma-app/." "$BASE/ib-prisma/"
  (cd "$BASE/ib-prisma" && npm ci --no-audit --no-fund)
fi

# Source files of the templates (the apps the cases then break).
N="$BASE/ib-next"; mkdir -p "$N/app/products"
cat > "$N/app/layout.tsx" <<'X'
export const metadata = { title: "Shop" };
export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (<html lang="en"><body>{children}</body></html>);
}
X
cat > "$N/app/page.tsx" <<'X'
export default function Home() {
  return <main><h1>Shop</h1><p>Welcome back.</p></main>;
}
X
cat > "$N/app/products/page.tsx" <<'X'
const products = [{ id: 1, name: "Mug" }, { id: 2, name: "Poster" }];
export default function Products() {
  return <ul>{products.map((p) => <li key={p.id}>{p.name}</li>)}</ul>;
}
X
cat > "$N/tsconfig.json" <<'X'
{"compilerOptions":{"target":"ES2017","lib":["dom","dom.iterable","esnext"],"allowJs":true,"skipLibCheck":true,"strict":true,"noEmit":true,"esModuleInterop":true,"module":"esnext","moduleResolution":"bundler","resolveJsonModule":true,"isolatedModules":true,"jsx":"preserve","incremental":true,"plugins":[{"name":"next"}],"paths":{"@/*":["./*"]}},"include":["next-env.d.ts","**/*.ts","**/*.tsx",".next/types/**/*.ts"],"exclude":["node_modules"]}
X
cat > "$N/next.config.mjs" <<'X'
/** @type {import('next').NextConfig} */
export default { eslint: { ignoreDuringBuilds: true } };
X
printf '/// <reference types="next" />\n/// <reference types="next/image-types/global" />\n' > "$N/next-env.d.ts"

V="$BASE/ib-vite"; mkdir -p "$V/src"
cat > "$V/index.html" <<'X'
<!doctype html>
<html lang="en"><head><meta charset="UTF-8" /><title>Dashboard</title></head>
<body><div id="app"></div><script type="module" src="/src/main.ts"></script></body></html>
X
cat > "$V/src/main.ts" <<'X'
import { formatTotal } from "./format";
import "./style.css";
const app = document.querySelector<HTMLDivElement>("#app")!;
app.innerHTML = `<h1>Dashboard</h1><p>${formatTotal(1234.5)}</p>`;
X
cat > "$V/src/format.ts" <<'X'
export function formatTotal(value: number): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(value);
}
X
echo 'body { font-family: sans-serif; margin: 2rem; }' > "$V/src/style.css"

E="$BASE/ib-esb"; mkdir -p "$E/src"
cat > "$E/src/index.ts" <<'X'
import pino from "pino";
import { handle } from "./jobs";
const log = pino();
log.info("worker booting");
setInterval(() => handle({ kind: "sync" }), 5000);
X
cat > "$E/src/jobs.ts" <<'X'
export type Job = { kind: string };
export function handle(job: Job): void {
  console.log(`handled ${job.kind}`);
}
X

T="$BASE/ib-tsc"; mkdir -p "$T/src"
cat > "$T/tsconfig.json" <<'X'
{"compilerOptions":{"target":"ES2022","module":"NodeNext","moduleResolution":"NodeNext","outDir":"dist","rootDir":"src","strict":true,"esModuleInterop":true},"include":["src"]}
X
cat > "$T/src/index.ts" <<'X'
import express from "express";
import pino from "pino";
import { invoiceTotal } from "./invoices.js";
const log = pino();
const app = express();
app.get("/healthz", (_req, res) => { res.json({ ok: true }); });
app.get("/invoices/:id/total", (req, res) => { res.json({ total: invoiceTotal([12, 30]) , id: req.params.id }); });
app.listen(Number(process.env.PORT ?? 3000), () => log.info("billing-api listening"));
X
cat > "$T/src/invoices.ts" <<'X'
export function invoiceTotal(lines: number[]): number {
  return lines.reduce((sum, line) => sum + line, 0);
}
X
echo "templates ready in $BASE/ib-*"
