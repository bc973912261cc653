import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jest } from "@jest/globals";
import { execa } from "execa";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { BIN } from "../helpers/worker-process.js";

// The CLI loads only what a command uses, and exits as soon as its work is done.
jest.setTimeout(120_000);

const RECORDER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/loader/record-modules.mjs",
);

let stack: TestStack;
let dir: string;

beforeAll(async () => {
  stack = await createTestStack();
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-cli-startup-"));
});
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The URLs of the modules a run of the CLI loaded (a run that exits with `exitCode`). */
async function modulesLoaded(args: string[], exitCode = 0): Promise<string[]> {
  const file = path.join(dir, `modules-${args.join("-").replace(/[^\w.-]/g, "_")}.txt`);
  const run = await execa("node", ["--import", RECORDER, BIN, ...args], {
    env: { ...stack.env, RECORD_MODULES_TO: file },
    reject: false,
  });
  expect([run.exitCode, run.stderr]).toEqual([exitCode, ""]);
  return (await readFile(file, "utf8")).split("\n");
}

/** The packages under node_modules among module URLs. */
const packagesOf = (urls: string[]) =>
  urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []);

/** The packages (under node_modules) a run of the CLI loaded. */
async function packagesLoaded(args: string[]): Promise<Set<string>> {
  const urls = await modulesLoaded(args);
  return new Set(
    urls.flatMap((url) => {
      const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
      return m ? [m[1]!] : [];
    }),
  );
}

describe("what the CLI loads", () => {
  it("--help loads commander and nothing else", async () => {
    expect([...(await packagesLoaded(["--help"]))]).toEqual(["commander"]);
  });

  it("deploy without --wait runs from the bundle on a bare pg pool: it never loads Prisma's client", async () => {
    // The repository need not exist: the deploy is only recorded and queued (no worker runs).
    const urls = await modulesLoaded([
      "deploy",
      "--project",
      "startup",
      "--repo",
      dir,
      "--ref",
      "main",
    ]);
    // BullMQ, ioredis and pg are inside the bundle bin/coduck-worker.js runs deploy from
    // (dist/cli/, made by npm run build with scripts/bundle-cli.mjs).
    expect(urls.some((url) => url.includes("/dist/cli/"))).toBe(true);
    expect(urls.some((url) => url.includes("/dist/src/"))).toBe(false);
    const packages = packagesOf(urls);
    for (const name of [
      "@prisma/client",
      "@prisma/adapter-pg",
      "fastify",
      "pino-pretty",
      "bullmq",
      "ioredis",
      "pg",
    ]) {
      expect(packages).not.toContain(name);
    }
    // And what it recorded is the deployment a worker reads, with every step pending.
    const recorded = await stack.db.deployment.findFirstOrThrow({
      where: { project: { slug: "startup" } },
      include: { steps: { orderBy: { position: "asc" } } },
    });
    expect(recorded).toMatchObject({ status: "queued", ref: "main", repoUrl: dir, trigger: "cli" });
    expect(recorded.steps.map((step) => [step.name, step.status])).toEqual(
      DEPLOY_STEP_NAMES.map((name) => [name, "pending"]),
    );
  });

  it("deploy --wait follows the deploy from the bundle on the bare pool too: it never loads Prisma's client", async () => {
    // A worker (in this process) fails it at checkout: the repository does not exist.
    await stack.startWorker();
    const args = ["deploy", "--project", "startup-wait", "--repo", `${dir}/nope`, "--ref", "main"];
    const urls = await modulesLoaded([...args, "--wait"], 1);
    expect(urls.some((url) => url.includes("/dist/src/"))).toBe(false);
    const packages = packagesOf(urls);
    for (const name of ["@prisma/client", "@prisma/adapter-pg", "fastify", "pino-pretty"]) {
      expect(packages).not.toContain(name);
    }
    const recorded = await stack.db.deployment.findFirstOrThrow({
      where: { project: { slug: "startup-wait" } },
    });
    expect(recorded).toMatchObject({ status: "failed", errorCode: "CHECKOUT_FAILED" });
  });

  it("deployments list and show run from the bundle on a bare pool: no Prisma, no queue, no HTTP server", async () => {
    const recorded = await stack.db.deployment.findFirstOrThrow({
      where: { project: { slug: "startup" } },
    });
    for (const args of [
      ["deployments", "list", "--project", "startup"],
      ["deployments", "show", recorded.id],
    ]) {
      const urls = await modulesLoaded(args);
      expect(urls.some((url) => url.includes("/dist/cli/"))).toBe(true);
      expect(urls.some((url) => url.includes("/dist/src/"))).toBe(false);
      const packages = packagesOf(urls);
      for (const name of ["@prisma/client", "bullmq", "ioredis", "fastify", "pino-pretty"]) {
        expect(packages).not.toContain(name);
      }
      const run = await execa("node", [BIN, ...args, "--json"], { env: stack.env });
      const printed = JSON.parse(run.stdout);
      expect((Array.isArray(printed) ? printed : [printed]).map((d) => d.id)).toEqual([
        recorded.id,
      ]);
    }
  });

  it("a command that reads the database through Prisma loads it, not the queue nor the HTTP server", async () => {
    const recorded = await stack.db.deployment.findFirstOrThrow({
      where: { project: { slug: "startup" } },
    });
    const loaded = await packagesLoaded(["deployments", "logs", recorded.id]);
    expect(loaded.has("@prisma/client")).toBe(true);
    for (const name of ["bullmq", "ioredis", "fastify", "pino-pretty"]) {
      expect(loaded.has(name)).toBe(false);
    }
  });
});

/** How long the process lived after it last wrote to stdout or stderr, in ms. */
async function exitAfterOutput(args: string[]): Promise<{ ms: number; exitCode?: number }> {
  let last = 0;
  const child = execa("node", [BIN, ...args], { env: stack.env, reject: false, buffer: false });
  child.stdout?.on("data", () => {
    last = performance.now();
  });
  child.stderr?.on("data", () => {
    last = performance.now();
  });
  const result = await child;
  return { ms: performance.now() - last, exitCode: result.exitCode };
}

describe("exit", () => {
  // The stall was 2 s (ioredis' disconnectTimeout); a second is a generous bound for a loaded CI
  // machine. bench item 11 times it precisely.
  it("a read-only command exits as soon as it has printed", async () => {
    const run = await exitAfterOutput(["deployments", "list"]);
    expect(run.exitCode).toBe(0);
    expect(run.ms).toBeLessThan(1_000);
  });

  it("a command that opened Redis without using it does not wait for the connection", async () => {
    // Closed while its connection is still in the handshake (it ends at once): before, about
    // every other run stalled 2 s here.
    for (let i = 0; i < 4; i++) {
      const run = await exitAfterOutput(["retry", "--all-failed", "--dry-run"]);
      expect(run.exitCode).toBe(0);
      expect(run.ms).toBeLessThan(1_000);
    }
  });
});
