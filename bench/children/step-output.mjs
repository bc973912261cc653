// One step's output through the worker's own path, from dist/ (run `npm run build` first):
// runCommand streams the command's lines into a StepLog on the real database, which redacts,
// caps and stores them and feeds the classifier, exactly as run-pipeline.ts wires them.
// Prints {seconds, peakRssMb, code} as one JSON line.
// usage: node step-output.mjs <database url> <step id> <file> [args...]
import { randomBytes } from "node:crypto";
import os from "node:os";
import { childEnv } from "../../dist/src/exec/child-env.js";
import { runCommand } from "../../dist/src/exec/run-command.js";
import { createClassifier } from "../../dist/src/failures/classify.js";
import { DEFAULT_LOG_LIMITS, StepLog } from "../../dist/src/pipeline/step-log.js";
import { connectDb } from "../../dist/src/store/prisma.js";
import { peakRssMb } from "./peak-rss.mjs";

const [databaseUrl, stepId, file, ...args] = process.argv.slice(2);
const db = connectDb(databaseUrl);
await db.$connect();
// As many secrets as a deploy redacts: the project's password (raw and URL-encoded), the
// PgBouncer auth password and the secrets key.
const secrets = [randomBytes(32).toString("base64url"), randomBytes(32).toString("base64")];
secrets.push(encodeURIComponent(secrets[0]), "test-pgbouncer-auth-password");

const NEWLINE = Buffer.from("\n");
const started = performance.now();
const classifier = createClassifier("build");
const log = new StepLog(db, stepId, secrets, DEFAULT_LOG_LIMITS, (lines) => {
  classifier.write(Buffer.from(lines));
  classifier.write(NEWLINE);
});
const result = await runCommand(
  { file, args, cwd: os.tmpdir(), env: childEnv() },
  { onOutput: log.write, timeoutMs: 15 * 60_000 },
);
await log.close();
const verdict = classifier.finish({ exitCode: result.exitCode, signal: result.signal });
const seconds = (performance.now() - started) / 1000;
await db.$disconnect();
console.log(JSON.stringify({ seconds, peakRssMb: peakRssMb(), code: verdict.code }));
