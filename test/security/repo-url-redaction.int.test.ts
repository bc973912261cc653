import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { githubSignature } from "../../src/http/webhook/github-signature.js";
import { createDeployment } from "../../src/store/deployments.js";
import { checkoutSource } from "../../src/store/projects.js";
import { storedRows } from "../helpers/stored-rows.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// Issue 18 item 9: a token inside a repository URL was stored and shown as it was (the project,
// every deployment, the step's command, its log, the CLI, the API, the dashboard). It is now
// redacted wherever it is stored or shown, and only git's argv at checkout holds it.
const TOKEN = "ghp_S3cretT0kenNobodyMaySee0123456789";
const ADMIN_TOKEN = "redaction-admin-token-0123456789";
/** How long a deploy here may take to end. */
const DEPLOY_WAIT = 120_000;
/** A test's own limit: its deploys' waits, and time for the rest. */
const TIMEOUT = DEPLOY_WAIT + 60_000;
let stack: TestStack;
let app: FastifyInstance;
/** A git "server" that asks for credentials, then records what git sent and fails the fetch. */
let server: http.Server;
const authorizations: string[] = [];
let repoUrl: string;

beforeAll(async () => {
  stack = await createTestStack({ ADMIN_TOKEN });
  app = await buildTestApp(stack);
  server = http.createServer((request, response) => {
    const auth = request.headers.authorization;
    if (!auth) {
      response.writeHead(401, { "www-authenticate": 'Basic realm="git"' }).end();
      return;
    }
    authorizations.push(auth);
    // The credentials are "wrong": git prints the URL in its error.
    response.writeHead(403).end("forbidden");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  repoUrl = `http://deploy:${TOKEN}@127.0.0.1:${port}/acme/private.git`;
  await stack.startWorker();
});
afterAll(async () => {
  await app?.close();
  server?.close();
  await stack?.close();
});

const run = (...args: string[]) => cli(args, { ...stack.env, LOG_LEVEL: "info" });

async function storedText(): Promise<string> {
  return (await storedRows(stack.db)).join("\n");
}

function expectNoToken(text: string) {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(TOKEN.slice(0, 12));
}

it(
  "keeps a token in the repository URL out of every record, printout, API answer and log, while git gets it",
  async () => {
    const added = await run("projects", "add", "private", "--repo", repoUrl);
    expect(added.exitCode).toBe(0);
    expectNoToken(added.stdout);
    expect(added.stdout).toContain("http://deploy:***@127.0.0.1:");
    const secret = String(added.stdout).split("\n").at(-1)!;

    // A push deploys it: checkout fetches from the real URL, and the server refuses it.
    const body = JSON.stringify({
      ref: "refs/heads/main",
      after: "a".repeat(40),
      repository: { full_name: "acme/private", clone_url: repoUrl.replace(`deploy:${TOKEN}@`, "") },
    });
    const pushed = await app.inject({
      method: "POST",
      url: "/webhooks/github",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": githubSignature(secret, body),
      },
      payload: body,
    });
    expect(pushed.statusCode).toBe(201);
    const id = pushed.json().deploymentId as string;
    const record = await stack.waitForEnd(id, DEPLOY_WAIT);
    expect(record).toMatchObject({ status: "failed", errorCode: "CHECKOUT_FAILED" });
    // git really was given the credentials.
    expect(authorizations).toContain(`Basic ${Buffer.from(`deploy:${TOKEN}`).toString("base64")}`);
    const checkout = record.steps.find((s) => s.name === "checkout")!;
    expect(checkout.command).toContain("'http://deploy:***@127.0.0.1:");

    expectNoToken(await storedText());
    expectNoToken(stack.logs.join("\n"));
    for (const args of [
      ["projects", "list"],
      ["projects", "list", "--json"],
      ["projects", "show", "private"],
      ["projects", "show", "private", "--json"],
      ["deployments", "show", id],
      ["deployments", "show", id, "--json"],
      ["deployments", "logs", id],
      ["deployments", "list", "--json"],
    ]) {
      const shown = await run(...args);
      expect(shown.exitCode).toBe(0);
      expectNoToken(`${shown.stdout}\n${shown.stderr}`);
    }
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const url of [`/api/deployments/${id}`, "/api/deployments", `/admin/deployments/${id}`]) {
      const response = await app.inject({ method: "GET", url, headers: auth });
      expect(response.statusCode).toBe(200);
      expectNoToken(response.body);
    }
    const page = await app.inject({ url: `/admin/deployments/${id}`, headers: auth });
    expect(page.body).toContain("http://deploy:***@127.0.0.1:");
  },
  TIMEOUT,
);

it("refuses a deploy request whose URL carries credentials, recording nothing", async () => {
  const before = await stack.db.deployment.count();
  const refused = await run("deploy", "--project", "private", "--repo", repoUrl, "--ref", "main");
  expect(refused.exitCode).toBe(2);
  expect(refused.stderr).toMatch(/^coduck-worker: --repo: must not carry credentials/);
  expectNoToken(refused.stderr);
  expect(await stack.db.deployment.count()).toBe(before);
});

it("changing the repository keeps the new URL's credentials sealed too", async () => {
  const other = `https://x-access-token:${TOKEN}@github.com/acme/other.git?access_token=${TOKEN}`;
  const set = await run("projects", "set", "private", "--repo", other);
  expect(set.exitCode).toBe(0);
  expectNoToken(set.stdout);
  expect(set.stdout).toContain(
    "https://x-access-token:***@github.com/acme/other.git?access_token=***",
  );
  expectNoToken(await storedText());
});

it("`migrate` seals and redacts credentials recorded before they were (old rows)", async () => {
  const old = `https://${TOKEN}@github.com/acme/legacy.git`;
  const { id } = await createDeployment(stack.db, {
    project: "legacy-cred",
    repoUrl: old,
    ref: "main",
    trigger: "webhook",
    steps: ["checkout"],
  });
  const step = await stack.db.deploymentStep.findFirstOrThrow({ where: { deploymentId: id } });
  await stack.db.deploymentStep.update({
    where: { id: step.id },
    data: { command: `git fetch ${old} main`, logTail: `fatal: could not read from ${old}` },
  });
  await stack.db
    .$executeRaw`INSERT INTO "StepLogChunk" ("stepId", "firstSeq", "lastSeq", streams, lines)
    VALUES (${step.id}::uuid, 0, 1, 'oe', ${`$ git fetch ${old} main\nfatal: ${TOKEN}`})`;
  expect(await storedText()).toContain(TOKEN);

  const migrated = await run("migrate");
  expect(migrated.exitCode).toBe(0);
  expect(migrated.stdout).toMatch(
    /repository credentials sealed and redacted: 1 project\(s\), 1 deployment\(s\), 1 step\(s\)/,
  );
  expectNoToken(await storedText());
  const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "legacy-cred" } });
  expect(project.repoUrl).toBe("https://***@github.com/acme/legacy.git");
  // Checkout still fetches with the token.
  expect((await checkoutSource(stack.db, stack.keyring, id)).url).toBe(old);
  // Run again: nothing left to do.
  const again = await run("migrate");
  expect(again.stdout).not.toMatch(/sealed and redacted/);
});
