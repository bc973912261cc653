#!/usr/bin/env node
import { existsSync } from "node:fs";

// `deploy` runs from the bundle `npm run build` makes of the CLI (dist/cli/, see
// scripts/bundle-cli.mjs): a few files instead of the ~350 of BullMQ, ioredis and pg, so that
// queue-and-return answers at once (bench item 11). The other commands, and a build without
// the bundle, run tsc's output as before.
const bundle = new URL("../dist/cli/cli.js", import.meta.url);
if (process.argv[2] === "deploy" && existsSync(bundle)) await import(bundle.href);
else await import("../dist/src/main/cli.js");
