// Prints a realistic step log of about <bytes> bytes to stdout, as fast as the reader takes it:
// install output, access logs, warnings, handled errors and stack traces, then an EADDRINUSE
// crash at the very end (the failure the classifier must find). usage: node print-log.mjs <bytes>
const NOISE = [
  (i) =>
    `2026-11-25T21:54:${String(i % 60).padStart(2, "0")}.873Z GET /api/todos/${i} 200 ${i % 97}ms`,
  (i) => `[worker] job ${i} done in ${i % 1000}ms (queue=emails, attempts=1)`,
  (i) =>
    `npm warn deprecated inflight@1.0.${i % 7}: This module is not supported, and leaks memory`,
  (i) => `    at processTicksAndRejections (node:internal/process/task_queues:${i % 100}:5)`,
  (i) =>
    `{"level":30,"time":${1764107653000 + i},"msg":"request completed","responseTime":${i % 50}}`,
  (i) => `[cache] miss for key user:${i}; fetching (no error)`,
  () => "",
  (i) => `POST /api/login 401 ${i % 20}ms - invalid credentials`,
  (i) => `\x1b[32minfo\x1b[39m: synced ${i % 500} records`,
  (i) => `[flags] table unavailable (relation "feature_flags" does not exist); flags off (${i})`,
];

const FAILURE = [
  "node:events:502",
  "      throw er; // Unhandled 'error' event",
  "      ^",
  "",
  "Error: listen EADDRINUSE: address already in use :::3000",
  "    at Server.setupListenHandle [as _listen2] (node:net:1908:16)",
  "  code: 'EADDRINUSE',",
  "",
  "Node.js v20.20.2",
];

const CHUNK_BYTES = 64 * 1024;
const bytes = Number(process.argv[2]);
if (!(bytes > 0)) throw new Error("usage: node print-log.mjs <bytes>");

let written = 0;
let i = 0;
while (written < bytes) {
  let chunk = "";
  while (chunk.length < CHUNK_BYTES && written + chunk.length < bytes) {
    chunk += `${NOISE[(i * 7) % NOISE.length](i)}\n`;
    i++;
  }
  written += Buffer.byteLength(chunk);
  if (!process.stdout.write(chunk))
    await new Promise((resolve) => process.stdout.once("drain", resolve));
}
process.stdout.write(`${FAILURE.join("\n")}\n`);
