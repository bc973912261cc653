import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import { Redis } from "ioredis";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// `deploy` without --wait records, enqueues and returns (bench item 11 times it): what it says
// to Redis is the enqueue itself, with no round trip before it.
jest.setTimeout(60_000);

let stack: TestStack;
let dir: string;

beforeAll(async () => {
  stack = await createTestStack();
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-queue-and-return-"));
});
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every command Redis received while `work` ran, with the client that sent it. */
async function monitored(work: () => Promise<void>): Promise<{ source: string; args: string[] }[]> {
  const redis = new Redis(stack.config.redisUrl);
  const monitor = await redis.monitor();
  const seen: { source: string; args: string[] }[] = [];
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    seen.push({ source, args });
  });
  try {
    await work();
    // MONITOR streams what the server ran; the CLI's last command has run before it exited.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    monitor.disconnect();
    redis.disconnect();
  }
  return seen;
}

describe("coduck-worker deploy (queue and return)", () => {
  it("sends Redis the enqueue first: no CLIENT SETINFO, no ready check, no version check", async () => {
    let id = "";
    const commands = await monitored(async () => {
      const run = await cli(
        ["deploy", "--project", "queue-return", "--repo", dir, "--ref", "main", "--json"],
        stack.env,
      );
      expect([run.exitCode, run.stderr]).toEqual([0, expect.stringMatching(/^queued deployment /)]);
      id = JSON.parse(run.stdout as string).id;
    });
    // The CLI's connection is the one whose script named this stack's queue.
    const prefix = stack.env.QUEUE_PREFIX!;
    const enqueue = commands.find(
      (c) => /^eval/i.test(c.args[0]!) && c.args.some((arg) => arg.startsWith(prefix)),
    );
    expect(enqueue).toBeDefined();
    const names = commands
      .filter((c) => c.source === enqueue!.source)
      .map((c) => c.args[0]!.toLowerCase());
    expect(names[0]).toMatch(/^eval/);
    expect(names).not.toContain("info");
    expect(names).not.toContain("client");
    // And the job is there for the host's worker, under the recorded deployment's id.
    const job = await stack.queue.getJob(id);
    expect(job?.data).toMatchObject({ deploymentId: id });
  });
});
