import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { execa } from "execa";
import { childEnv } from "../../src/exec/child-env.js";
import { forEachLine, linesText } from "../../src/exec/output-lines.js";
import { runCommand } from "../../src/exec/run-command.js";
import { sandboxFor } from "../../src/exec/sandbox.js";
import { freePort } from "../../src/releases/free-port.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

// The relay inside each box (box-relay.c, compiled by `npm run build`) carries every byte
// between the app and its database and between the host and a release's port: whole, both
// ways, on many connections at once.

let dataDir: string;
let releaseDir: string;

beforeAll(async () => {
  // Every release a test starts here is stopped before the test ends.
  dataDir = await tempDir("coduck-relay-");
  releaseDir = path.join(dataDir, "releases", "relayed", "r-1");
  await mkdir(releaseDir, { recursive: true });
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
    // slirp4netns's own listener for the port: libslirp asks for a backlog of 1, which reset
    // some of a burst of connections; the launcher's preload (slirp-backlog.c) raises it.
    const { stdout } = await execa("ss", ["-Hltn", `sport = :${port}`]);
    expect(Number(stdout.trim().split(/\s+/)[2])).toBeGreaterThanOrEqual(511);
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

/**
 * The host pids of the box relays running `command` now (their cmdline starts with
 * /run/coduck-relay and holds it): only this test's, not those of suites running beside it.
 */
async function relayPids(command: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.startsWith("/run/coduck-relay\0") && cmdline.split("\0").includes(command))
      found.push(Number(entry));
  }
  return found;
}

/** CPU time (user + system, clock ticks) a process has used so far. */
async function cpuTicks(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

it("keeps the database reachable while the app does not accept on its port, and idles on half-closed connections", async () => {
  const port = await freePort();
  // An app that listens with a backlog of one and never accepts (its event loop stuck, say),
  // and checks its database every 200 ms.
  await writeFile(
    path.join(releaseDir, "stuck.py"),
    `import os, socket, subprocess, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"]))); s.listen(1)
while True:
    r = subprocess.run(["psql", os.environ["DATABASE_URL"], "-XAtc", "SELECT 'db ok'"], capture_output=True, text=True, timeout=30)
    print(r.stdout.strip() or r.stderr.strip(), flush=True)
    time.sleep(0.2)
`,
  );
  const lines: string[] = [];
  const controller = new AbortController();
  const release = runCommand(
    await (await box())!.wrap(
      {
        file: "python3",
        args: ["stuck.py"],
        cwd: releaseDir,
        env: childEnv({
          PORT: String(port),
          DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/postgres",
        }),
      },
      "release",
    ),
    {
      onOutput: (_stream, chunk) => forEachLine(linesText(chunk), (line) => lines.push(line)),
      timeoutMs: 120_000,
      signal: controller.signal,
    },
  );
  const sockets: net.Socket[] = [];
  try {
    await waitFor("the app's first database answer", () => lines.includes("db ok"), 30_000);
    await waitFor(
      "the port to be published",
      () =>
        new Promise<boolean>((resolve) => {
          const probe = net.connect(port, "127.0.0.1");
          probe.once("connect", () => resolve(true)).once("error", () => resolve(false));
          sockets.push(probe);
        }),
      30_000,
    );
    // More connections than the app's backlog holds: the relay's connects to the app stall.
    for (let i = 0; i < 6; i++) sockets.push(net.connect(port, "127.0.0.1").on("error", () => {}));
    // And one that sends, half-closes, and waits: the relay has nothing to do for it.
    const halfClosed = net.connect(port, "127.0.0.1").on("error", () => {});
    halfClosed.end("GET / HTTP/1.0\r\n\r\n");
    sockets.push(halfClosed);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = lines.length;
    const [relay] = await relayPids("stuck.py");
    const ticks = await cpuTicks(relay!);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // The database answered on, every 200 ms; the relay used almost no CPU (a busy loop: ~200).
    expect(lines.slice(before).filter((line) => line === "db ok").length).toBeGreaterThanOrEqual(4);
    expect((await cpuTicks(relay!)) - ticks).toBeLessThan(20);
  } finally {
    for (const socket of sockets) socket.destroy();
    controller.abort();
    await release;
  }
}, 120_000);
