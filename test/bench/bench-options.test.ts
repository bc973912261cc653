import path from "node:path";
import { execa } from "execa";
import { PACKAGE_ROOT } from "../../src/package-root.js";

// Refused before anything is built or measured: these runs take a second, not minutes.
const bench = (...args: string[]) =>
  execa(path.join(PACKAGE_ROOT, "node_modules", ".bin", "tsx"), ["bench/run.ts", ...args], {
    cwd: PACKAGE_ROOT,
    reject: false,
    timeout: 30_000,
  });

it("refuses --only naming an item that does not exist, and lists the items", async () => {
  const run = await bench("--only", "9", "--no-build");
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toBe("--only: no item 9; the items are 1, 2, 3, 4, 5, 6");
  expect(run.stdout).toBe("");
});

it("refuses a run count that is not a whole number", async () => {
  const run = await bench("--runs", "0", "--no-build");
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toBe("--runs: expected a whole number ≥ 1 (got 0)");
});
