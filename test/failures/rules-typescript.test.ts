import { classifyLines } from "./classify-helper.js";

describe("typescript evidence", () => {
  it("calls TS2307 from tsc a type error, not a missing module", async () => {
    const result = await classifyLines("build", 2, [
      "> api@1.0.0 build",
      "> tsc",
      "",
      "src/index.ts(1,21): error TS2307: Cannot find module 'express' or its corresponding type declarations.",
    ]);
    expect(result.code).toBe("TYPESCRIPT_ERROR");
  });

  it("shows the first errors of a long list, and the last", async () => {
    const errors = Array.from(
      { length: 12 },
      (_, i) =>
        `src/file${i}.ts:${i + 1}:5 - error TS2322: Type 'string' is not assignable to type 'number'.`,
    );
    const result = await classifyLines("build", 2, [...errors, "", "Found 12 errors in 12 files."]);
    expect(result.code).toBe("TYPESCRIPT_ERROR");
    expect(result.evidence.map((e) => e.line)).toEqual([1, 2, 3, 12]);
  });

  it("reads Next.js' type check after its generic 'Failed to compile'", async () => {
    const result = await classifyLines("build", 1, [
      "   Linting and checking validity of types  ...",
      "Failed to compile.",
      "",
      "./app/page.tsx:5:7",
      "Type error: Type 'string' is not assignable to type 'number'.",
      "Next.js build worker exited with code: 1 and signal: null",
    ]);
    expect(result.code).toBe("TYPESCRIPT_ERROR");
  });

  it("reads ts-node compiling at start", async () => {
    const result = await classifyLines("start", 1, [
      "TSError: ⨯ Unable to compile TypeScript:",
      "src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    ]);
    expect(result.code).toBe("TYPESCRIPT_ERROR");
  });
});
