import { execa } from "execa";
import { freePort } from "../../src/releases/free-port.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { BIN, cli } from "../helpers/worker-process.js";

let stack: TestStack;
let env: Record<string, string>;

beforeAll(async () => {
  stack = await createTestStack();
  env = { ...stack.env, GITHUB_WEBHOOK_SECRET: "", LOG_LEVEL: "info" };
});
afterAll(() => stack.close());

it.each([[["serve"]], [["start", "--with-http"]]])(
  "`coduck-worker %p` refuses to serve without GITHUB_WEBHOOK_SECRET",
  async (args) => {
    const port = await freePort();
    const run = await cli(args, { ...env, HTTP_PORT: String(port) });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      "coduck-worker: GITHUB_WEBHOOK_SECRET is not set: set it (openssl rand -hex 32), or pass --insecure-no-webhook-secret to serve with the webhook refusing every delivery (503)",
    );
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  },
);

it("serves with --insecure-no-webhook-secret, and the webhook then refuses every delivery", async () => {
  const port = await freePort();
  const child = execa("node", [BIN, "serve", "--insecure-no-webhook-secret"], {
    env: { ...env, HTTP_PORT: String(port) },
    reject: false,
    buffer: false,
    stdout: "pipe",
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let output = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"msg":"http ready"')) resolve();
      });
      void child.then(() => reject(new Error(`serve exited:\n${output}`)));
    });
    const response = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push" },
      body: "{}",
    });
    expect(response.status).toBe(503);
    expect(await stack.db.deployment.count()).toBe(0);
    expect(await stack.db.webhookDelivery.count()).toBe(0);
  } finally {
    child.kill("SIGTERM");
    await child;
  }
});
