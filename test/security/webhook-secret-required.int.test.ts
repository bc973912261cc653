import { randomBytes, randomUUID } from "node:crypto";
import { execa } from "execa";
import { githubSignature } from "../../src/http/webhook/github-signature.js";
import { freePort } from "../../src/releases/free-port.js";
import { addProject } from "../../src/store/projects.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { BIN, cli } from "../helpers/worker-process.js";

// Serving needs no global webhook secret: each project verifies its pushes with its own. The
// global GITHUB_WEBHOOK_SECRET is only an explicit fallback (WEBHOOK_GLOBAL_SECRET_FALLBACK=1),
// and asking for the fallback without the secret is refused at start.
let stack: TestStack;
let env: Record<string, string>;

beforeAll(async () => {
  stack = await createTestStack();
  env = {
    ...stack.env,
    GITHUB_WEBHOOK_SECRET: "",
    WEBHOOK_GLOBAL_SECRET_FALLBACK: "",
    LOG_LEVEL: "info",
  };
});
afterAll(async () => {
  await stack?.close();
});

it.each([[["serve"]], [["start", "--with-http"]]])(
  "`coduck-worker %p` refuses WEBHOOK_GLOBAL_SECRET_FALLBACK=1 without GITHUB_WEBHOOK_SECRET",
  async (args) => {
    const port = await freePort();
    const run = await cli(args, {
      ...env,
      WEBHOOK_GLOBAL_SECRET_FALLBACK: "1",
      HTTP_PORT: String(port),
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(
      /^coduck-worker: WEBHOOK_GLOBAL_SECRET_FALLBACK=1 but GITHUB_WEBHOOK_SECRET is not set: /,
    );
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  },
);

it("serves without GITHUB_WEBHOOK_SECRET, and a push signed with the project's own secret deploys", async () => {
  const { webhookSecret } = await addProject(stack.db, stack.keyring, {
    slug: "own-secret",
    repoUrl: "https://github.com/acme/own-secret.git",
    branch: "main",
  });
  const port = await freePort();
  const child = execa("node", [BIN, "serve"], {
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
    const body = JSON.stringify({
      ref: "refs/heads/main",
      after: randomBytes(20).toString("hex"),
      repository: {
        full_name: "acme/own-secret",
        clone_url: "https://github.com/acme/own-secret.git",
      },
    });
    const send = (secret: string) =>
      fetch(`http://127.0.0.1:${port}/webhooks/github`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": githubSignature(secret, body),
        },
        body,
      });
    expect((await send("a-secret-nobody-registered-0123")).status).toBe(401);
    expect(await stack.db.deployment.count()).toBe(0);
    expect((await send(webhookSecret)).status).toBe(201);
    expect(await stack.db.deployment.count()).toBe(1);
  } finally {
    child.kill("SIGTERM");
    await child;
  }
});
