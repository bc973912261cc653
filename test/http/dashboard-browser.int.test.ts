import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import type { Page } from "playwright-core";
import { createHttpServer, type HttpServer } from "../../src/http/http-server.js";
import { freePort } from "../../src/releases/free-port.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { tempDir } from "../helpers/temp-dir.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { launchBrowser } from "./browser.js";

const TOKEN = "browser-test-admin-token-0123456789";

let stack: TestStack;
let server: HttpServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

beforeAll(async () => {
  // The running deploy's build waits for a marker file the test makes outside its release:
  // no sandbox, which would hide it (test/security proves the sandbox).
  stack = await createTestStack({ ADMIN_TOKEN: TOKEN, SANDBOX: "off" });
  await stack.startWorker();
  server = await createHttpServer({
    db: stack.db,
    queues: stack.queues,
    logger: pino({ level: "silent" }),
    config: stack.config,
    host: "127.0.0.1",
    port: await freePort(),
  });
  browser = await launchBrowser();
  page = await browser.context.newPage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await stack?.close();
}, 120_000);

async function waitForStep(deploymentId: string, name: string, status: string) {
  for (let i = 0; i < 600; i++) {
    const step = await stack.db.deploymentStep.findUniqueOrThrow({
      where: { deploymentId_name: { deploymentId, name } },
    });
    if (step.status === status) return;
    await sleep(100);
  }
  throw new Error(`${name} of ${deploymentId} never became ${status}`);
}

describe("the dashboard in a real browser", () => {
  it("logs in with the form and shows a failed deploy's code and fix; Retry queues an attempt that succeeds", async () => {
    // The repository does not exist yet: checkout fails with CHECKOUT_FAILED.
    const repoDir = path.join(await tempDir("coduck-later-"), "app");
    const id = await stack.deploy({ project: "later", repoUrl: repoDir });
    const failed = await stack.waitForEnd(id);
    expect(failed.errorCode).toBe("CHECKOUT_FAILED");

    await page.goto(`${server.url}/admin/deployments/${id}`);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${server.url}/admin/deployments/${id}`);
    const failure = page.locator("#failure");
    await expect(failure.locator(".code").textContent()).resolves.toBe("CHECKOUT_FAILED");
    const hint = failed.steps.find((s) => s.name === "checkout")?.hint;
    expect(hint).toBeTruthy();
    await expect(failure.locator(".fix").textContent()).resolves.toBe(hint);
    // "log line N" of the evidence is the line the log view numbers N.
    const checkout = failed.steps.find((s) => s.name === "checkout")!;
    expect(checkout.evidenceLine).not.toBeNull();
    const decisive = page.locator(`#L-checkout-${checkout.evidenceLine}`);
    await expect(decisive.locator(".t").textContent()).resolves.toBe(
      checkout.evidence!.split("\n")[0],
    );

    // Now the repository exists; a retry of the same deployment succeeds through the worker.
    const repo = await fixtureRepo("node-http");
    await rename(repo.dir, repoDir);
    await page.click("#retry");
    await page.waitForSelector("#deployment-status:text-is('succeeded')", { timeout: 120_000 });
    const retried = new URL(page.url()).pathname.split("/").pop()!;
    expect(retried).not.toBe(id);
    const record = await stack.waitForEnd(retried);
    expect(record.status).toBe("succeeded");
    await expect(page.locator("#failure").count()).resolves.toBe(0);
    await expect(page.locator("#retry-of").getAttribute("href")).resolves.toBe(
      `/admin/deployments/${id}`,
    );
  }, 180_000);

  it("follows a running deploy's log live, and Cancel stops it", async () => {
    // The build prints a line only once the test says so, after the page has loaded.
    const marker = path.join(await tempDir("coduck-marker-"), "go");
    const repo = await fixtureRepo("node-http", {
      "scripts/build.js": [
        'import { existsSync } from "node:fs";',
        `while (!existsSync(${JSON.stringify(marker)})) await new Promise((r) => setTimeout(r, 100));`,
        'console.log("the marker <b>appeared</b>");',
        "await new Promise((resolve) => setTimeout(resolve, 120000));",
      ].join("\n"),
    });
    const id = await stack.deploy({ project: "slow", repoUrl: repo.dir });
    await waitForStep(id, "build", "running");
    await page.goto(`${server.url}/admin/deployments/${id}`);
    await expect(page.locator("#log").textContent()).resolves.not.toContain("marker");
    await writeFile(marker, "");
    // Appended by the page's script as text, without a reload.
    await page.waitForSelector("#log :text('the marker <b>appeared</b>')", { timeout: 30_000 });
    await expect(page.locator("#log b").count()).resolves.toBe(0);
    await page.click("#cancel");
    await page.waitForSelector("#deployment-status:text-is('cancelled')", { timeout: 60_000 });
    const record = await stack.waitForEnd(id);
    expect(record.status).toBe("cancelled");
    expect(record.steps.find((s) => s.name === "build")?.status).toBe("cancelled");
  }, 120_000);
});
