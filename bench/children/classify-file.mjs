// The classifier over one log file, as `coduck-worker classify FILE` runs it, from dist/ (run
// `npm run build` first). Prints {seconds, code, evidenceLine, peakRssMb} as one JSON line.
// usage: node classify-file.mjs <file>
import { open } from "node:fs/promises";
import { classifyLogStream } from "../../dist/src/failures/classify.js";
import { fileChunks } from "../../dist/src/failures/scan/file-chunks.js";
import { peakRssMb } from "./peak-rss.mjs";

const started = performance.now();
const handle = await open(process.argv[2]);
const result = await classifyLogStream({ step: "start", exitCode: 1, stream: fileChunks(handle) });
await handle.close();
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    seconds,
    code: result.code,
    evidenceLine: result.evidence[0]?.line ?? null,
    peakRssMb: peakRssMb(),
  }),
);
