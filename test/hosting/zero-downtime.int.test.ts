import path from "node:path";
import { jest } from "@jest/globals";
import autocannon from "autocannon";
import { caddyClient } from "../../src/router/caddy-client.js";
import { caddyFiles } from "../../src/router/caddy-files.js";
import { listRoutes } from "../../src/router/list-routes.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";

// Eleven deploys (≈10 s each on an idle machine, more under load) with the load running.
jest.setTimeout(600_000);

// The proof of a switch users never notice: a steady stream of requests to a project's
// stable address, through Caddy, while ten consecutive redeploys go live. Every request is
// answered 200, by the live release or the one before it — not one error, timeout or reset.

const REDEPLOYS = 10;
let stack: TestStack;

beforeAll(async () => {
  // The previous release drains for 2 s after the switch; nothing watches the runtime.
  stack = await createTestStack({ DRAIN_SECONDS: "2", RUNTIME_WATCH_SECONDS: "0" });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

/** The node-http fixture answering `v<n>`: each deploy is told apart by what it answers. */
async function version(n: number): Promise<string> {
  const repo = await fixtureRepo("node-http", {
    "src/index.js": [
      'import { createServer } from "node:http";',
      `createServer((_request, response) => response.end("v${n}")).listen(Number(process.env.PORT));`,
      "",
    ].join("\n"),
  });
  return repo.dir;
}

async function deploy(n: number): Promise<string> {
  const id = await stack.deploy({ project: "steady", repoUrl: await version(n) });
  const record = await stack.waitForEnd(id, 240_000);
  expect([n, record.status]).toEqual([n, "succeeded"]);
  return record.release!.url;
}

it(`answers every request through ${REDEPLOYS} consecutive redeploys, each from the live or the previous release`, async () => {
  const url = new URL(await deploy(0));
  const router = caddyClient(`unix/${caddyFiles(path.join(stack.config.dataDir, "caddy")).socket}`);
  const routeBefore = await listRoutes(router);
  const answers = new Map<string, number>();
  let finish!: (result: autocannon.Result) => void;
  const finished = new Promise<autocannon.Result>((resolve) => (finish = resolve));
  const run = autocannon(
    {
      url: `http://127.0.0.1:${url.port}/`,
      headers: { host: url.host },
      connections: 4,
      duration: 3_600,
      verifyBody: (raw) => {
        const body = String(raw);
        answers.set(body, (answers.get(body) ?? 0) + 1);
        return /^v\d+$/.test(body);
      },
    },
    (error, result) => {
      if (error) throw error;
      finish(result);
    },
  );
  const requestErrors: string[] = [];
  run.on("reqError", (error: NodeJS.ErrnoException) =>
    requestErrors.push(error.code ?? error.message),
  );
  await waitFor("load through Caddy", () => (answers.get("v0") ?? 0) > 50, 20_000);

  const liveDuring: number[][] = [];
  for (let n = 1; n <= REDEPLOYS; n++) {
    const seenBefore = new Set(answers.keys());
    await deploy(n);
    await waitFor(`v${n} to get traffic`, () => (answers.get(`v${n}`) ?? 0) > 10, 20_000);
    // What answered while v<n> went live: only v<n-1> (live until the switch) and v<n>.
    liveDuring.push(
      [...answers.keys()]
        .filter((body) => !seenBefore.has(body))
        .map((body) => Number(body.slice(1))),
    );
  }
  run.stop();
  const result = await finished;

  // The switches moved the project's socket link, never Caddy's configuration (whose reloads
  // close idle client connections): the route is the one the first deploy made.
  expect(routeBefore).toEqual([
    {
      project: "steady",
      host: url.hostname,
      upstream: `unix/${path.join(stack.config.dataDir, "routes", "p-steady.sock")}`,
    },
  ]);
  expect(await listRoutes(router)).toEqual(routeBefore);

  expect(requestErrors).toEqual([]);
  expect({
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
  }).toEqual({ errors: 0, timeouts: 0, non2xx: 0, mismatches: 0 });
  expect(liveDuring).toEqual(Array.from({ length: REDEPLOYS }, (_, i) => [i + 1]));
  expect([...answers.keys()].sort()).toEqual(
    Array.from({ length: REDEPLOYS + 1 }, (_, i) => `v${i}`).sort(),
  );
  expect(result.requests.total).toBeGreaterThan(1_000);
});
