import { randomUUID } from "node:crypto";
import { execa, type ResultPromise } from "execa";
import { ADMIN_TOKEN_MISSING } from "../../src/http/operator-routes.js";
import { githubSignature } from "../../src/http/webhook/github-signature.js";
import { freePort } from "../../src/releases/free-port.js";
import { addProject } from "../../src/store/projects.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { BIN } from "../helpers/worker-process.js";

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

/** A real `coduck-worker <args>` process, once it logged `ready`. */
async function startProcess(args: string[], port: number, ready: string) {
  const child = execa("node", [BIN, ...args], {
    // No ADMIN_TOKEN, even if the environment running the tests has one.
    env: { ...stack.env, LOG_LEVEL: "info", HTTP_PORT: String(port), ADMIN_TOKEN: "" },
    extendEnv: true,
    reject: false,
    buffer: false,
    stdout: "pipe",
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`never logged ${ready}:\n${output}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`"msg":"${ready}"`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void child.then(() => reject(new Error(`exited before ${ready}:\n${output}`)));
  });
  // Wrapped: returning the subprocess itself would await its exit.
  return { child, output: () => output };
}

async function stop(child: ResultPromise) {
  child.kill("SIGTERM");
  return (await child).exitCode;
}

describe("coduck-worker serve", () => {
  it("serves /healthz on HTTP_PORT and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const { child, output } = await startProcess(["serve"], port, "http ready");
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    // No ADMIN_TOKEN in this stack: one line says the dashboard is off, and it answers 503.
    expect(output()).toContain(`"msg":"${ADMIN_TOKEN_MISSING}"`);
    const admin = await fetch(`http://127.0.0.1:${port}/admin`);
    expect(admin.status).toBe(503);
    expect(await stop(child)).toBe(0);
  });
});

describe("coduck-worker start --with-http", () => {
  it("deploys a signed push end to end in one process", async () => {
    const repo = await fixtureRepo("node-http");
    const head = await repo.commit({}, "pushed");
    const { webhookSecret } = await addProject(stack.db, stack.keyring, {
      slug: "pushed-app",
      repoUrl: repo.dir,
      branch: "main",
    });
    const port = await freePort();
    const { child } = await startProcess(["start", "--with-http"], port, "worker ready");
    try {
      const body = JSON.stringify({
        ref: "refs/heads/main",
        after: head,
        repository: { full_name: "local/pushed-app", clone_url: repo.dir },
      });
      const response = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": githubSignature(webhookSecret, body),
        },
        body,
      });
      expect(response.status).toBe(201);
      const { deploymentId } = (await response.json()) as { deploymentId: string };
      const record = await stack.waitForEnd(deploymentId, 90_000);
      expect(record).toMatchObject({ status: "succeeded", trigger: "webhook", commitSha: head });
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 120_000);
});
