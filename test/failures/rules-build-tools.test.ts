import { classifyLines } from "./classify-helper.js";

describe("build tool evidence", () => {
  it("calls a build tool that is not installed BUILD_FAILED with its own fix", async () => {
    const result = await classifyLines("build", 127, [
      "> web@1.0.0 build",
      "> vite build",
      "",
      "sh: 1: vite: not found",
    ]);
    expect(result).toMatchObject({ code: "BUILD_FAILED", variant: "command-not-found" });
    expect(result.hint).toMatch(/not installed/);
  });

  it("calls a preStart or install program that is not installed COMMAND_NOT_FOUND, not a database failure", async () => {
    // Captured: `sh -c "drizzle-kit push"` in an app without drizzle-kit installed (exit 127).
    const preStart = await classifyLines("schema", 127, ["sh: 1: drizzle-kit: not found"]);
    expect(preStart).toMatchObject({ code: "COMMAND_NOT_FOUND" });
    expect(preStart.evidence.map((e) => e.text)).toEqual(["sh: 1: drizzle-kit: not found"]);
    expect(preStart.hint).toMatch(/node_modules\/\.bin/);
    expect(preStart.hint).not.toMatch(/migration/i);
    const install = await classifyLines("install", 127, ["sh: 1: pnpmm: not found"]);
    expect(install.code).toBe("COMMAND_NOT_FOUND");
  });

  it("reads bundler errors as BUILD_FAILED, and their unresolved imports as MODULE_NOT_FOUND", async () => {
    const syntax = await classifyLines("build", 1, [
      '✘ [ERROR] Expected ")" but found "=>"',
      "",
      "    src/app.ts:7:33:",
      "1 error",
    ]);
    const webpack = await classifyLines("build", 1, [
      "ERROR in ./src/index.js 5:2",
      "Module parse failed: Unexpected token (5:2)",
      "webpack 5.91.0 compiled with 1 error in 1234 ms",
    ]);
    const vite = await classifyLines("build", 1, [
      "x Build failed in 45ms",
      "error during build:",
      '[vite]: Rollup failed to resolve import "axios" from "/app/src/api.ts".',
    ]);
    const next = await classifyLines("build", 1, [
      "Failed to compile.",
      "",
      "./src/app/page.tsx",
      "Module not found: Can't resolve '@/components/Foo'",
    ]);
    expect(syntax.code).toBe("BUILD_FAILED");
    expect(webpack.code).toBe("BUILD_FAILED");
    expect(vite.code).toBe("MODULE_NOT_FOUND");
    expect(next.code).toBe("MODULE_NOT_FOUND");
  });

  it("calls a build script's own uncaught error BUILD_FAILED", async () => {
    const result = await classifyLines("build", 1, [
      "> node scripts/build-icons.js",
      "Error: ENOENT: no such file or directory, open '/app/icons/logo.svg'",
      "    at Object.openSync (node:fs:573:18)",
    ]);
    expect(result.code).toBe("BUILD_FAILED");
  });

  it("calls a silent failing build UNKNOWN", async () => {
    const result = await classifyLines("build", 3, ["> ledger@1.0.0 build", "> node check.js"]);
    expect(result).toMatchObject({ code: "UNKNOWN", evidence: [] });
  });
});
