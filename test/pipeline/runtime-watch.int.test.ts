import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { FAILURE_CODES } from "../../src/failures/codes.js";
import type { DeploymentRecord } from "../../src/store/deployment-record.js";
import { getDeploymentRecord } from "../../src/store/deployment-record.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";

jest.setTimeout(120_000);

const WATCH_SECONDS = 5;
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({
    RUNTIME_WATCH_SECONDS: String(WATCH_SECONDS),
    WORKER_CONCURRENCY: "2",
    // The watch's end is a debug line: in stack.logs, the event a negative check waits for.
    LOG_LEVEL: "debug",
  });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

/** An app that listens on PORT, then prints `later` lines on stderr at the given delays (ms). */
function chattyApp(later: [number, string][]) {
  return {
    "package.json": JSON.stringify({
      name: "chatty",
      version: "1.0.0",
      private: true,
      scripts: { start: "node server.cjs" },
    }),
    "server.cjs": [
      'const http = require("node:http");',
      'http.createServer((q, s) => s.end("ok")).listen(process.env.PORT, () => {',
      '  console.log("listening");',
      ...later.map(
        ([ms, line]) => `  setTimeout(() => console.error(${JSON.stringify(line)}), ${ms});`,
      ),
      "});",
    ].join("\n"),
  };
}

/** The record once `ready` holds of it, or the last one seen after `timeoutMs`. */
async function recordWhen(
  id: string,
  ready: (d: DeploymentRecord) => boolean,
  timeoutMs: number,
): Promise<DeploymentRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = (await getDeploymentRecord(stack.db, id))!;
    if (ready(record) || Date.now() > deadline) return record;
    await sleep(100);
  }
}

describe("the runtime watch", () => {
  it("marks a live release degraded when it logs a documented runtime failure, and keeps it live", async () => {
    const repo = await fixtureRepo(
      "node-http",
      chattyApp([
        [300, "GET /users 500"],
        [310, 'error: relation "users" does not exist'],
      ]),
    );
    const id = await stack.deploy({ project: "degrades", repoUrl: repo.dir });
    const ended = await stack.waitForEnd(id);
    expect(ended.status).toBe("succeeded");

    const record = await recordWhen(id, (d) => d.degraded !== null, WATCH_SECONDS * 1000);
    expect(record.status).toBe("succeeded");
    expect(record.errorCode).toBeNull();
    expect(record.degraded).toEqual({
      code: "RELATION_DOES_NOT_EXIST",
      hint: FAILURE_CODES.RELATION_DOES_NOT_EXIST.hint,
      evidence: 'error: relation "users" does not exist',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // The release stays live and serving.
    expect(record.release).not.toBeNull();
    expect(await (await fetchApp(record.release!.url)).text()).toBe("ok");
  });

  it("leaves a release that logs only harmless lines alone, and stops watching after the window", async () => {
    const repo = await fixtureRepo(
      "node-http",
      chattyApp([
        [300, "cache miss for users"],
        [320, "(node:1) DeprecationWarning: punycode is deprecated"],
        [340, "warning: slow query (120 ms)"],
        // Past the watch window: no longer the watch's business.
        [WATCH_SECONDS * 1000 + 1500, 'error: relation "users" does not exist'],
      ]),
    );
    const id = await stack.deploy({ project: "calm", repoUrl: repo.dir });
    expect((await stack.waitForEnd(id)).status).toBe("succeeded");

    // The watch ended, and then the app logged its failure: nothing was watching any more.
    await waitFor(
      "the runtime watch to end",
      () => stack.logs.some((l) => l.includes(id) && l.includes('"msg":"runtime watch ended"')),
      WATCH_SECONDS * 1000 + 10_000,
    );
    const { releaseLog } = await stack.db.deployment.findUniqueOrThrow({ where: { id } });
    await waitFor(
      "the app to log its late failure",
      async () => (await readFile(releaseLog!, "utf8")).includes('relation "users" does not exist'),
      10_000,
    );
    const record = (await getDeploymentRecord(stack.db, id))!;
    expect(record.status).toBe("succeeded");
    expect(record.degraded).toBeNull();
    expect(record.release).not.toBeNull();
  });
});
