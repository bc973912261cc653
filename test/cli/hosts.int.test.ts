import { jest } from "@jest/globals";
import { registerHost } from "../../src/store/hosts.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// `hosts list|drain|undrain` and `projects add --host`, as an operator runs them.

// Each command is a process of its own: a dozen of them.
jest.setTimeout(240_000);

let stack: TestStack;

beforeAll(async () => {
  // cli-up's one heartbeat counts for the whole test (each command is a process of its own).
  stack = await createTestStack({ HOST_DOWN_AFTER_SECONDS: "3600" });
  // A host whose worker heartbeats (as `start` does) beside the stack's, which never started.
  await registerHost(stack.db, { id: "cli-up", address: "10.0.0.2:8080", maxProjects: 3 });
});
afterAll(async () => {
  await stack?.close();
});

const run = (...args: string[]) => cli(args, stack.env);

describe("coduck-worker hosts", () => {
  it("lists each host with its state, load and address; drain keeps new projects off, --host names a host or is refused with why", async () => {
    const listed = await run("hosts", "list");
    expect(listed.exitCode).toBe(0);
    expect((listed.stdout as string).split("\n")).toEqual([
      expect.stringMatching(
        /^cli-up\s+up\s+0\/3 projects\s+disk \? free\s+memory \? free\s+10\.0\.0\.2:8080$/,
      ),
      expect.stringMatching(
        new RegExp(
          `^${stack.config.host.id}\\s+down \\(its worker never started\\)\\s+0/500 projects`,
        ),
      ),
    ]);

    const drained = await run("hosts", "drain", "cli-up");
    expect(drained.exitCode).toBe(0);
    expect(drained.stdout).toMatch(/^host cli-up is draining: no new projects are placed there/);
    const refused = await run("projects", "add", "on-up", "--repo", "/srv/a", "--host", "cli-up");
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(
      "host cli-up is draining: a new project is placed only on a host that is up",
    );
    const unknown = await run("projects", "add", "on-up", "--repo", "/srv/a", "--host", "nope");
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain(
      `no host nope; the registered hosts are cli-up, ${stack.config.host.id}`,
    );
    // Nothing was recorded by a refused --host.
    expect(await stack.db.project.findUnique({ where: { slug: "on-up" } })).toBeNull();

    expect((await run("hosts", "undrain", "cli-up")).exitCode).toBe(0);
    const added = await run("projects", "add", "on-up", "--repo", "/srv/a", "--host", "cli-up");
    expect(added.exitCode).toBe(0);
    expect(added.stdout).toMatch(/^project on-up added on host cli-up: /);
    // Without --host: the least-loaded host that is up (the stack's is down).
    const auto = await run("projects", "add", "auto", "--repo", "/srv/b");
    expect(auto.stdout).toMatch(/^project auto added on host cli-up: /);

    const json = JSON.parse((await run("hosts", "list", "--json")).stdout as string);
    expect(json[0]).toMatchObject({
      id: "cli-up",
      state: "up",
      intent: "up",
      projects: 2,
      maxProjects: 3,
      address: "10.0.0.2:8080",
      downSince: null,
    });
    expect(json[1]).toMatchObject({ id: stack.config.host.id, state: "down", heartbeatAt: null });

    const shown = await run("projects", "show", "on-up");
    expect(shown.stdout).toMatch(/^host {9}cli-up \(up\)$/m);
  });

  it("refuses an unknown host", async () => {
    const result = await run("hosts", "drain", "nope");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("no host nope; the registered hosts are");
  });
});
