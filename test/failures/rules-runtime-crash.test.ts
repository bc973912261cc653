import { classifyLines } from "./classify-helper.js";

// A live release's output is classified with the same catalogue: an uncaught error that ended
// the process is a crash (START_CRASHED); while it still serves, an error it logged is not.
const CRASH = [
  "file:///app/server.js:10",
  'app.get("/export", (_req, res) => { setTimeout(() => { const job = undefined; res.json({ id: job.id }); }, 10); });',
  "                                                                                                 ^",
  "",
  "TypeError: Cannot read properties of undefined (reading 'id')",
  "    at Timeout._onTimeout (file:///app/server.js:10:98)",
  "    at listOnTimeout (node:internal/timers:581:17)",
  "",
  "Node.js v20.20.2",
];

describe("a release's crash at runtime", () => {
  it("is START_CRASHED when the error ended the process", async () => {
    const result = await classifyLines("runtime", 1, CRASH);
    expect(result.code).toBe("START_CRASHED");
    expect(result.evidence[0]?.text).toMatch(/^TypeError: Cannot read properties/);
  });

  it("is no verdict while the process still serves", async () => {
    const result = await classifyLines("runtime", null, CRASH);
    expect(result.code).toBe("UNKNOWN");
  });

  it("reads Node's error without a stack, as Next.js prints it", async () => {
    const result = await classifyLines("start", 1, [
      "> next start",
      " ✓ Starting...",
      "[Error: Could not find a production build in the '.next' directory. Try building your app with 'next build' before starting the production server. https://nextjs.org/docs/messages/production-start-no-build-id]",
    ]);
    expect(result.code).toBe("START_CRASHED");
  });
});
