import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { childEnv } from "../../src/exec/child-env.js";
import { forEachLine, linesText } from "../../src/exec/output-lines.js";
import { runCommand } from "../../src/exec/run-command.js";
import { sandboxFor } from "../../src/exec/sandbox.js";
import { freePort } from "../../src/releases/free-port.js";
import { waitFor } from "../helpers/wait-for.js";

// The relay inside each box (box-relay.c, compiled by `npm run build`) carries every byte
// between the app and its database and between the host and a release's port: whole, both
// ways, on many connections at once.

let dataDir: string;
let releaseDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "coduck-relay-"));
  releaseDir = path.join(dataDir, "releases", "relayed", "r-1");
  await mkdir(releaseDir, { recursive: true });
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const box = () => sandboxFor("bwrap", { dataDir, releaseDir, project: "relayed" });

it("carries large query results on eight database connections at once", async () => {
  // The bridge lets through only the role and database DATABASE_URL names: here the test
  // cluster's own (trust), reached as the app would reach its own.
  const env = childEnv({ DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/postgres" });
  const query = "SELECT repeat(md5(g::text), 65536) FROM generate_series(1, 10) g";
  const script = `for i in 1 2 3 4 5 6 7 8; do psql "$DATABASE_URL" -XAtc "${query}" | md5sum & done; wait`;
  const lines: string[] = [];
  const result = await runCommand(
    await (await box())!.wrap({ file: "sh", args: ["-c", script], cwd: releaseDir, env }, "step"),
    {
      onOutput: (_stream, chunk) => forEachLine(linesText(chunk), (line) => lines.push(line)),
      timeoutMs: 60_000,
    },
  );
  // 10 rows of 2 MiB each, eight times, every byte as Postgres sent it.
  const expected = await runCommand(
    {
      file: "sh",
      args: ["-c", `psql -h 127.0.0.1 -U postgres -d postgres -XAtc "${query}" | md5sum`],
      cwd: releaseDir,
      env: childEnv(),
    },
    {
      onOutput: (_stream, chunk) => forEachLine(linesText(chunk), (line) => lines.push(line)),
      timeoutMs: 60_000,
    },
  );
  expect([result.exitCode, expected.exitCode]).toEqual([0, 0]);
  expect(lines).toHaveLength(9);
  expect(new Set(lines).size).toBe(1);
}, 90_000);

it("carries large responses and request bodies on a release's port, many at once", async () => {
  const port = await freePort();
  // Echoes the request body's length and serves 4 MiB back.
  await writeFile(
    path.join(releaseDir, "server.cjs"),
    `const http = require("node:http");
const body = Buffer.alloc(4 * 1024 * 1024, "y");
http.createServer((req, res) => {
  let got = 0;
  req.on("data", (c) => { got += c.length; });
  req.on("end", () => { res.setHeader("x-got", String(got)); res.end(body); });
}).listen(Number(process.env.PORT), "127.0.0.1");`,
  );
  const controller = new AbortController();
  const release = runCommand(
    await (await box())!.wrap(
      {
        file: process.execPath,
        args: ["server.cjs"],
        cwd: releaseDir,
        env: childEnv({ PORT: String(port) }),
      },
      "release",
    ),
    { onOutput: () => undefined, timeoutMs: 120_000, signal: controller.signal },
  );
  try {
    const url = `http://127.0.0.1:${port}/`;
    await waitFor(
      "the release to be published",
      () =>
        fetch(url).then(
          () => true,
          () => false,
        ),
      30_000,
    );
    const upload = Buffer.alloc(3 * 1024 * 1024, "z");
    const answers = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const response = await fetch(url, { method: "POST", body: upload });
        return [response.headers.get("x-got"), (await response.arrayBuffer()).byteLength];
      }),
    );
    expect(answers).toEqual(
      Array.from({ length: 12 }, () => [String(upload.length), 4 * 1024 * 1024]),
    );
  } finally {
    controller.abort();
    await release;
  }
}, 120_000);
