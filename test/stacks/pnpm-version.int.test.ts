import { jest } from "@jest/globals";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(300_000);

// pnpm comes through corepack from the npm registry: the first run downloads it.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

describe("an app with a pnpm 9 lockfile and no packageManager", () => {
  it("is installed with pnpm 9, not corepack's latest pnpm, and its install failure is told in pnpm 9's words", async () => {
    const repo = await fixtureRepo("pnpm9-app");
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "pnpm9-app", repoUrl: repo.dir }),
      240_000,
    );
    const install = record.steps.find((s) => s.name === "install")!;
    expect({ status: record.status, command: install.command }).toEqual({
      status: "succeeded",
      command: "corepack pnpm@9 install --frozen-lockfile",
    });
    expect(install.logTail).toMatch(/using pnpm v9\./);
    const served = (await (await fetchApp(record.release!.url)).json()) as { pnpm: string };
    expect(served.pnpm).toMatch(/^pnpm@9\.\d+\.\d+$/);

    // package.json changed without its lockfile: pnpm 9's own refusal, and the fix in pnpm 9.
    await repo.commit({
      "package.json": JSON.stringify({
        name: "pnpm9-app",
        version: "1.0.0",
        private: true,
        scripts: { start: "node server.js" },
        dependencies: { "is-number": "6.0.0" },
      }),
    });
    const next = await stack.waitForEnd(
      await stack.deploy({ project: "pnpm9-app", repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: next.status, errorCode: next.errorCode }).toEqual({
      status: "failed",
      errorCode: "LOCKFILE_OUT_OF_SYNC",
    });
    expect(next.steps.find((s) => s.name === "install")!.evidence).toMatch(
      /ERR_PNPM_OUTDATED_LOCKFILE/,
    );
    expect(next.hint).toContain("(corepack pnpm@9 install: the app installs with pnpm 9)");
    expect(next.hint).not.toMatch(/\bnpm (?:ci|install)/);
  });
});
