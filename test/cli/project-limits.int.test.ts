import { jest } from "@jest/globals";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

jest.setTimeout(180_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const run = (...args: string[]) => cli(args, stack.env);
const ownLimits = (slug: string) =>
  stack.db.project.findUniqueOrThrow({
    where: { slug },
    select: { memoryLimitMb: true, pidsLimit: true, cpuShares: true },
  });

describe("coduck-worker projects limits", () => {
  it("sets a project's own limits, shows them, and goes back to the worker's defaults", async () => {
    expect(
      (await run("projects", "add", "tight", "--repo", "https://example.com/t.git")).exitCode,
    ).toBe(0);
    const set = await run("projects", "limits", "tight", "--memory-mb", "96", "--pids", "64");
    expect(set.exitCode).toBe(0);
    expect(set.stdout).toMatch(/memory +96 MiB\n/);
    expect(set.stdout).toMatch(/processes +64\n/);
    expect(set.stdout).toMatch(/cpu shares +1024 \(the worker's default\)/);
    expect(await ownLimits("tight")).toEqual({ memoryLimitMb: 96, pidsLimit: 64, cpuShares: null });

    const back = await run("projects", "limits", "tight", "--memory-mb", "default");
    expect(back.exitCode).toBe(0);
    expect(back.stdout).toMatch(/memory +1024 MiB \(the worker's default\)/);
    expect(await ownLimits("tight")).toEqual({
      memoryLimitMb: null,
      pidsLimit: 64,
      cpuShares: null,
    });
  });

  it("refuses a limit a box could not start under, or no number at all, and changes nothing", async () => {
    expect(
      (await run("projects", "add", "kept", "--repo", "https://example.com/k.git")).exitCode,
    ).toBe(0);
    expect((await run("projects", "limits", "kept", "--pids", "100")).exitCode).toBe(0);
    const refusals: [string[], RegExp][] = [
      [["--memory-mb", "10"], /memory/i],
      [["--pids", "lots"], /--pids: expected a whole number or default/],
      [["--cpu-shares", "1"], /cpu/i],
    ];
    for (const [options, message] of refusals) {
      const refused = await run("projects", "limits", "kept", ...options);
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(message);
    }
    expect(await ownLimits("kept")).toEqual({
      memoryLimitMb: null,
      pidsLimit: 100,
      cpuShares: null,
    });
    const unknown = await run("projects", "limits", "nobody", "--pids", "100");
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/no project nobody/);
  });

  it("stops a build that outgrows the project's memory at its limit, names the limit, and leaves another project's release serving", async () => {
    const neighbour = await stack.deploy({
      project: "neighbour",
      repoUrl: (await fixtureRepo("node-http")).dir,
    });
    const served = await stack.waitForEnd(neighbour, 90_000);
    expect(served.status).toBe("succeeded");

    const hog = await fixtureRepo("node-http", {
      "coduck.json": JSON.stringify({
        build: 'node -e "const kept = []; for (;;) kept.push(Buffer.alloc(1 << 20, 1))"',
      }),
    });
    expect((await run("projects", "add", "hog", "--repo", hog.dir)).exitCode).toBe(0);
    expect((await run("projects", "limits", "hog", "--memory-mb", "96")).exitCode).toBe(0);
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "hog", repoUrl: hog.dir }),
      120_000,
    );
    expect(record.status).toBe("failed");
    const build = record.steps.find((step) => step.name === "build")!;
    expect(build.errorCode).toBe("OUT_OF_MEMORY");
    expect(build.evidence).toMatch(/killed at the 96 MiB limit/);

    // The neighbour's release kept serving through it, at its stable address.
    const live = await stack.waitForEnd(neighbour);
    const answer = await fetchApp(live.release!.url);
    expect(answer.status).toBe(200);
  });
});
