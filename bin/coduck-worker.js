#!/usr/bin/env node
import { existsSync } from "node:fs";

// `deploy`, `deployments list` and `deployments show` run from the bundle `npm run build`
// makes of the CLI (dist/cli/, see scripts/bundle-cli.mjs): a few files instead of the ~350 of
// BullMQ, ioredis and pg, and plain SQL on a bare pool (no Prisma), so that they answer at once
// (bench item 11). The other commands, and a build without the bundle, run tsc's output.
const [command, subcommand] = process.argv.slice(2);
const bundled =
  command === "deploy" ||
  (command === "deployments" && (subcommand === "list" || subcommand === "show"));
const bundle = new URL("../dist/cli/cli.js", import.meta.url);
if (bundled && existsSync(bundle)) await import(bundle.href);
else await import("../dist/src/main/cli.js");
