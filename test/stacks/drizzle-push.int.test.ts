import { readFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(300_000);

// The docs' Drizzle path, verbatim: `"preStart": "drizzle-kit push"`.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
});
afterAll(() => stack.close());

describe("a Drizzle app with preStart `drizzle-kit push`", () => {
  it("deploys and reads and writes through PgBouncer; a push that refused data loss and exited 0 fails the schema step", async () => {
    const repo = await fixtureRepo("drizzle-app");
    const first = await stack.waitForEnd(
      await stack.deploy({ project: "drizzle", repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: first.status, errorCode: first.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    expect(first.steps.find((s) => s.name === "schema")!.logTail).toMatch(/Changes applied/);
    const url = first.release!.url;
    expect((await fetch(`${url}/notes`, { method: "POST" })).status).toBe(201);
    expect(await (await fetch(`${url}/notes`)).json()).toMatchObject({
      app: "drizzle-app",
      notes: [{ id: 1, title: "hello", body: "written through Drizzle" }],
    });

    // Dropping a column that holds a row: drizzle-kit asks, cannot, applies nothing, exits 0.
    const schemaFile = path.join(repo.dir, "src", "schema.js");
    const withoutTitle = (await readFile(schemaFile, "utf8")).replace(/^.*title: text.*\n/m, "");
    await repo.commit({ "src/schema.js": withoutTitle });
    const second = await stack.waitForEnd(
      await stack.deploy({ project: "drizzle", repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: second.status, errorCode: second.errorCode }).toEqual({
      status: "failed",
      errorCode: "DESTRUCTIVE_CHANGE_BLOCKED",
    });
    const schema = second.steps.find((s) => s.name === "schema")!;
    expect(schema.exitCode).toBe(0);
    expect(schema.evidence).toBe(
      "· You're about to delete title column in notes table with 1 items",
    );
    expect(second.hint).toMatch(/drizzle-kit migrate/);
    expect(second.warnings).toContain(
      `not deployed; deployment ${first.id} (${first.commitSha!.slice(0, 12)}) is still live`,
    );
    expect(await (await fetch(`${url}/notes`)).json()).toMatchObject({
      notes: [{ title: "hello" }],
    });
  });
});
