import { classifyLines } from "./classify-helper.js";

describe("what the exit says", () => {
  const handledThenHang = [
    "server listening on 3000",
    "Error: timeout exceeded when trying to connect",
    "still waiting…",
  ];

  it("calls a step the worker timed out STEP_TIMEOUT, keeping the log's reading as runner-up", async () => {
    const result = await classifyLines("start", null, handledThenHang, {
      signal: "SIGTERM",
      timedOut: true,
    });
    expect(result.code).toBe("STEP_TIMEOUT");
    expect(result.evidence).toEqual([{ line: 3, text: "still waiting…" }]);
    expect(result.runnerUp?.code).toBe("POOL_EXHAUSTED");
  });

  it("calls exit 124 (killed by timeout) UNKNOWN, as the corpus does", async () => {
    const result = await classifyLines("build", 124, handledThenHang);
    expect(result).toMatchObject({ code: "UNKNOWN", evidence: [] });
  });

  it("calls a bare signal UNKNOWN, whether given or read from 128+n", async () => {
    const segv = await classifyLines("start", 139, ["loading native addon"]);
    const signalled = await classifyLines("start", null, ["loading native addon"], {
      signal: "SIGSEGV",
    });
    expect(segv.code).toBe("UNKNOWN");
    expect(signalled.code).toBe("UNKNOWN");
  });

  it("reads the log of a process killed by a signal when it shows V8 running out of heap", async () => {
    const result = await classifyLines(
      "build",
      null,
      ["FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"],
      { signal: "SIGABRT" },
    );
    expect(result.code).toBe("OUT_OF_MEMORY");
  });

  it("reads runtime logs, where the process is still running", async () => {
    const result = await classifyLines("runtime", null, [
      "GET / 200",
      "Error: getaddrinfo ENOTFOUND db",
    ]);
    expect(result.code).toBe("DATABASE_UNREACHABLE");
  });
});
