import { PassThrough } from "node:stream";
import { drainHostCommand } from "../../src/cli/hosts-drain.js";
import { registerHosts } from "../helpers/hosts.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// An unlucky operator drains h2 while a move onto h2 (asked before) is still running: the move's
// restore and deploy stages run on h2's worker, and its switch makes h2 the project's host.
// `hosts drain h2` said "no project lives on it: its worker may be stopped" (and `--move --wait`
// exited 0, "0 projects left"); the documented next step is to stop h2's worker. Stopped, the
// move's stages never run: the move stays running, its source frozen read-only, its deploys held.
// Or it lands on h2 after the drain was declared done.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ HOST_ID: "h1" });
  await registerHosts(stack.db, ["h1", "h2"]);
  const project = await stack.db.project.create({ data: { slug: "inbound", hostId: "h1" } });
  await stack.db.projectMove.create({
    data: {
      projectId: project.id,
      fromHostId: "h1",
      toHostId: "h2",
      status: "running",
      stage: "restore",
      fromDatabase: "t_inbound",
      fromRole: "t_inbound",
    },
  });
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

async function drain(options: Parameters<typeof drainHostCommand>[2]) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (chunk: Buffer) => chunks.push(chunk));
  const code = await drainHostCommand(stack.config, "h2", options, out);
  return { code, out: Buffer.concat(chunks).toString() };
}

describe("draining a host a project is still moving onto", () => {
  it("says the move lands there and never that its worker may be stopped", async () => {
    const plain = await drain({});
    expect(plain.out).not.toMatch(/may be stopped/);
    expect(plain.out).toMatch(
      /still moving onto h2[^\n]*\n {2}inbound: move \S+ from h1, at restore/,
    );
  });

  it("--move exits 1 while it is on its way", async () => {
    const moved = await drain({ move: true, confirm: "h2" });
    expect(moved.out).not.toMatch(/may be stopped/);
    expect(moved.out).toMatch(/inbound: move \S+ from h1, at restore/);
    expect(moved.code).toBe(1);
  });

  it("--move --wait waits for it and counts it once it has landed", async () => {
    const landing = setTimeout(async () => {
      const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "inbound" } });
      await stack.db.project.update({ where: { id: project.id }, data: { hostId: "h2" } });
      await stack.db.projectMove.updateMany({
        where: { projectId: project.id },
        data: { status: "moved", stage: "routes" },
      });
    }, 1_000);
    try {
      const waited = await drain({ move: true, confirm: "h2", wait: true });
      expect(waited.out).toMatch(/moved: inbound now lives on h2/);
      expect(waited.out).toMatch(/1 project left on h2/);
      expect(waited.code).toBe(1);
    } finally {
      clearTimeout(landing);
    }
  }, 30_000);
});
