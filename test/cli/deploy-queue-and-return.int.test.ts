import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
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

/** One argument of a MONITOR line, unquoted the way Redis quotes it (sdscatrepr). */
function unquote(text: string): string {
  return text.replace(/\\(x[0-9a-f]{2}|.)/g, (_all, code: string) => {
    if (code.startsWith("x") && code.length === 3)
      return String.fromCharCode(Number.parseInt(code.slice(1), 16));
    return (
      ({ n: "\n", r: "\r", t: "\t", a: "\x07", b: "\b" } as Record<string, string>)[code] ?? code
    );
  });
}

/**
 * Every command Redis received while `work` ran, with the client that sent it. A bare socket
 * rather than ioredis's monitor(), whose own ready check races the stream it asks for ("Command
 * queue state error" when another client's INFO arrives first).
 */
async function monitored(work: () => Promise<void>): Promise<{ source: string; args: string[] }[]> {
  const url = new URL(stack.config.redisUrl);
  const socket = net.connect(Number(url.port || 6379), url.hostname);
  const seen: { source: string; args: string[] }[] = [];
  let buffered = "";
  const started = new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      let end = buffered.indexOf("\r\n");
      while (end >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (line === "+OK") resolve();
        const entry = /^\+[\d.]+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
        if (entry) {
          const args = [...entry[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => unquote(m[1]!));
          seen.push({ source: entry[1]!, args });
        }
        end = buffered.indexOf("\r\n");
      }
    });
  });
  socket.write("MONITOR\r\n");
  try {
    await started;
    await work();
    // MONITOR streams what the server ran; the CLI's last command has run before it exited.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    socket.destroy();
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
