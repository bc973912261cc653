// One step's output through the worker's own path, from dist/ (run `npm run build` first):
// runCommand streams the command's lines into a StepLog on the real database, which redacts,
// caps and stores them, and its bytes into the step's SpooledClassifier, exactly as
// run-pipeline.ts wires them (stepOutputSink). `seconds` is the step as it succeeds (the spool
// is let go unread), timed once the process has settled after its start; then the spool is
// classified, as a failed step's would be, and timed apart.
// Prints {seconds, classifySeconds, peakRssMb, code} as one JSON line.
// usage: node step-output.mjs <database url> <deployment id> <attempt> <step id> <data dir> <file> [args...]
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { childEnv } from "../../dist/src/exec/child-env.js";
import { runCommand } from "../../dist/src/exec/run-command.js";
import { SpooledClassifier } from "../../dist/src/pipeline/spooled-classifier.js";
import { DEFAULT_LOG_LIMITS, StepLog } from "../../dist/src/pipeline/step-log.js";
import { stepOutputSink } from "../../dist/src/pipeline/step-output-sink.js";
import { connectDb } from "../../dist/src/store/prisma.js";
import { peakRssMb } from "./peak-rss.mjs";
import { settle } from "./settle.mjs";

const [databaseUrl, deploymentId, attempt, stepId, dataDir, file, ...args] = process.argv.slice(2);
const db = connectDb(databaseUrl);
await db.$connect();
// Timed from a quiet process, as a long-running worker is when a step starts.
await settle();
// As many secrets as a deploy redacts: the project's password (raw and URL-encoded), the
// PgBouncer auth password and the secrets key.
const secrets = [randomBytes(32).toString("base64url"), randomBytes(32).toString("base64")];
secrets.push(encodeURIComponent(secrets[0]), "test-pgbouncer-auth-password");

const started = performance.now();
const target = { deploymentId, attempt: Number(attempt), stepId };
const log = new StepLog(db, target, secrets, DEFAULT_LOG_LIMITS);
const classifier = await SpooledClassifier.open("build", {
  dir: path.join(dataDir, "spool"),
  limitBytes: 256 * 1024 * 1024,
  secrets,
});
const result = await runCommand(
  { file, args, cwd: os.tmpdir(), env: childEnv() },
  {
    onOutput: stepOutputSink(log, classifier),
    stdoutFile: classifier.stdoutFile,
    timeoutMs: 15 * 60_000,
  },
);
await log.close();
const seconds = (performance.now() - started) / 1000;
const classifyStarted = performance.now();
// As if the command had failed: a succeeded step is never classified.
const verdict = await classifier.classify({ exitCode: 1, signal: result.signal });
const classifySeconds = (performance.now() - classifyStarted) / 1000;
await classifier.close();
await db.$disconnect();
console.log(
  JSON.stringify({ seconds, classifySeconds, peakRssMb: peakRssMb(), code: verdict.code }),
);
