import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { Queue } from "bullmq";
import pino from "pino";
import { type NotifyWorker, startNotifyWorker } from "../../src/main/start-notify-worker.js";
import { NOTIFY_QUEUE } from "../../src/queue/notify-job.js";
import { connectRedis } from "../../src/queue/redis.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// A real deploy (60 s), then its notifications (15 s).
jest.setTimeout(120_000);

type Received = { headers: http.IncomingHttpHeaders; body: string; answered: number };

let stack: TestStack;
let notifier: NotifyWorker;
let redis: ReturnType<typeof connectRedis>;
let receiver: http.Server;
let hookUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
  redis = connectRedis(stack.config.redisUrl);
  notifier = await startNotifyWorker(
    {
      db: stack.db,
      logger: pino({ level: "silent" }),
      keyring: stack.keyring,
      prefix: stack.config.queuePrefix,
    },
    redis,
    { pollMs: 200 },
  );
  // A receiver that fails its very first request, as a receiver being deployed would.
  receiver = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      const answered = received.length === 0 ? 503 : 204;
      received.push({ headers: request.headers, body, answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/coduck`;
});
afterAll(async () => {
  await notifier?.close();
  if (redis && stack) {
    const queue = new Queue(NOTIFY_QUEUE, { connection: redis, prefix: stack.config.queuePrefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await redis?.quit();
  receiver?.close();
  await stack?.close();
});

/** Registers `slug` with a repository of its own. */
async function addProject(slug: string): Promise<void> {
  const repo = await fixtureRepo("node-http");
  expect((await cli(["projects", "add", slug, "--repo", repo.dir], stack.env)).exitCode).toBe(0);
}

const notificationTargets = (slug: string) =>
  stack.db.notificationTarget.count({ where: { project: { slug } } });

describe("outbound notifications", () => {
  it("refuses a notification URL that is not https (or http to this machine), changing nothing", async () => {
    await addProject("refused-url");
    for (const bad of [
      "http://example.com/hook",
      "ftp://example.com/x",
      "not a url",
      "https://user:pw@example.com/",
    ]) {
      const run = await cli(["projects", "set", "refused-url", "--notify-url", bad], stack.env);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toMatch(/^coduck-worker: --notify-url: [^\n]+$/);
    }
    expect(await notificationTargets("refused-url")).toBe(0);
  });

  it("POSTs every status change signed with the project's secret, retrying a failed delivery", async () => {
    await addProject("notified");
    const set = await cli(["projects", "set", "notified", "--notify-url", hookUrl], stack.env);
    expect(set.stderr).toBe("");
    expect(set.exitCode).toBe(0);
    const secret = /^([0-9a-f]{64})$/m.exec(set.stdout)?.[1];
    expect(secret).toBeDefined();
    const shown = await cli(["projects", "show", "notified", "--json"], stack.env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ notifyUrl: hookUrl });
    expect(shown.stdout).not.toContain(secret!);

    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "notified" } });
    const id = await stack.deploy({ project: "notified", repoUrl: project.repoUrl! });
    expect((await stack.waitForEnd(id)).status).toBe("succeeded");

    const delivered = () =>
      received.filter((r) => r.answered === 204).map((r) => JSON.parse(r.body).deployment.status);
    for (let i = 0; i < 150 && delivered().length < 3; i++) await sleep(100);
    expect(delivered().sort()).toEqual(["queued", "running", "succeeded"]);

    // The first delivery was refused (503) and delivered again, identically, after a backoff.
    const [first, ...rest] = received;
    expect(first!.answered).toBe(503);
    const retried = rest.find(
      (r) => r.headers["x-coduck-delivery"] === first!.headers["x-coduck-delivery"],
    );
    expect(retried).toMatchObject({ body: first!.body, answered: 204 });

    for (const r of received) {
      const expected = `sha256=${createHmac("sha256", secret!).update(r.body).digest("hex")}`;
      expect(r.headers["x-coduck-signature-256"]).toBe(expected);
      expect(r.headers["content-type"]).toBe("application/json");
      const body = JSON.parse(r.body);
      expect(body).toMatchObject({
        event: "deployment.status",
        project: "notified",
        deliveryId: r.headers["x-coduck-delivery"],
        deployment: { id },
      });
      // Nothing of the worker's own: no database URLs, keys, passwords, repository location.
      for (const secretValue of [
        stack.env.DATABASE_URL!,
        stack.env.SECRETS_KEY!,
        stack.config.adminDatabaseUrl,
        project.repoUrl!,
        secret!,
      ])
        expect(r.body).not.toContain(secretValue);
      expect(r.body).not.toMatch(/postgres(ql)?:\/\//);
    }
    const succeeded = received
      .map((r) => JSON.parse(r.body))
      .find((b) => b.deployment.status === "succeeded");
    expect(succeeded.deployment).toMatchObject({
      attempt: 1,
      errorCode: null,
      finishedAt: expect.any(String),
    });
  });

  it("rotates the secret on request and stops notifying with --no-notify", async () => {
    await addProject("rotated");
    expect(
      (await cli(["projects", "set", "rotated", "--notify-url", hookUrl], stack.env)).exitCode,
    ).toBe(0);
    const rotated = await cli(["projects", "set", "rotated", "--rotate-notify-secret"], stack.env);
    expect(rotated.exitCode).toBe(0);
    expect(rotated.stdout).toMatch(/^[0-9a-f]{64}$/m);
    const removed = await cli(["projects", "set", "rotated", "--no-notify"], stack.env);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toContain("no longer notified");
    expect(await notificationTargets("rotated")).toBe(0);
    const again = await cli(["projects", "set", "rotated", "--rotate-notify-secret"], stack.env);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("has no notification URL");
  });
});
