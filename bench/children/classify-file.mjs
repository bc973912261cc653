// The classifier over one log file, as `coduck-worker classify FILE` runs it, from dist/ (run
// `npm run build` first). Prints {seconds, code, evidenceLine, peakRssMb} as one JSON line.
// usage: node classify-file.mjs <file>
import { createReadStream } from "node:fs";
import { classifyLogStream } from "../../dist/src/failures/classify.js";
import { peakRssMb } from "./peak-rss.mjs";

const started = performance.now();
const result = await classifyLogStream({
  step: "start",
  exitCode: 1,
  stream: createReadStream(process.argv[2]),
});
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    seconds,
    code: result.code,
    evidenceLine: result.evidence[0]?.line ?? null,
    peakRssMb: peakRssMb(),
  }),
);
