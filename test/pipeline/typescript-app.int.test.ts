import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

describe("a TypeScript app", () => {
  it("is installed with its dev dependencies, compiled by tsc, and served", async () => {
    const repo = await fixtureRepo("ts-app");
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "typed", repoUrl: repo.dir }),
      120_000,
    );
    expect({ status: record.status, errorCode: record.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    expect(record.steps.find((s) => s.name === "build")!.command).toBe("npm run build");
    expect(await (await fetchApp(record.release!.url)).text()).toBe("hello from TypeScript");
  }, 180_000);

  it("fails at build with TYPESCRIPT_ERROR and the compiler's own line as evidence", async () => {
    const repo = await fixtureRepo("ts-app", {
      "src/greeting.ts":
        "export function greeting(name: string): string {\n  return name.length;\n}\n",
    });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "typed-bad", repoUrl: repo.dir }),
      120_000,
    );
    expect(record.errorCode).toBe("TYPESCRIPT_ERROR");
    const build = record.steps.find((s) => s.name === "build")!;
    expect(build.status).toBe("failed");
    expect(build.evidence).toMatch(
      /src\/greeting\.ts\(2,3\): error TS2322: Type 'number' is not assignable to type 'string'/,
    );
  }, 180_000);
});
