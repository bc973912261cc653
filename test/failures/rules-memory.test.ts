import { classifyLines } from "./classify-helper.js";

describe("memory evidence", () => {
  it("reads V8's heap limit", async () => {
    const result = await classifyLines("build", 134, [
      "<--- Last few GCs --->",
      "FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory",
      " 1: 0xb78db3 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [node]",
      "Aborted",
    ]);
    expect(result.code).toBe("OUT_OF_MEMORY");
    expect(result.evidence[0]?.line).toBe(2);
  });

  it("reads exit 137 as the OOM killer, with or without `Killed`", async () => {
    const killed = await classifyLines("start", 137, ["[thumbs] cached 96 MB", "Killed"]);
    const silent = await classifyLines("build", 137, ["building chunk 12/40"]);
    const bySignal = await classifyLines("build", null, ["building chunk 12/40"], {
      signal: "SIGKILL",
    });
    expect(killed).toMatchObject({
      code: "OUT_OF_MEMORY",
      evidence: [{ line: 2, text: "Killed" }],
    });
    expect(silent).toMatchObject({ code: "OUT_OF_MEMORY", evidence: [{ line: 1 }] });
    expect(bySignal.code).toBe("OUT_OF_MEMORY");
  });

  it("reads the box's own line, which names the limit, as the evidence", async () => {
    const result = await classifyLines("build", 137, [
      "allocated 110 MiB",
      "Killed",
      "box: out of memory: killed at the 128 MiB limit",
    ]);
    expect(result.code).toBe("OUT_OF_MEMORY");
    expect(result.evidence.at(-1)).toEqual({
      line: 3,
      text: "box: out of memory: killed at the 128 MiB limit",
    });
  });

  it("reads the box's line whatever the exit: the app may report its child's death itself", async () => {
    const result = await classifyLines("build", 1, [
      "Error: Command failed with signal SIGKILL",
      "Error: connect ECONNREFUSED 127.0.0.1:6379",
      "box: out of memory: killed at the 1024 MiB limit",
    ]);
    expect(result.code).toBe("OUT_OF_MEMORY");
    expect(result.evidence.map((e) => e.text)).toContain(
      "box: out of memory: killed at the 1024 MiB limit",
    );
  });

  it("lets a SIGKILL outrank an error logged before it", async () => {
    const result = await classifyLines("start", 137, [
      "Error: connect ECONNREFUSED 127.0.0.1:5432",
      "[retry] reconnecting",
    ]);
    expect(result.code).toBe("OUT_OF_MEMORY");
    expect(result.runnerUp?.code).toBe("DATABASE_UNREACHABLE");
  });
});
