import path from "node:path";
import { execa } from "execa";
import { ITEMS } from "../../bench/items/index.js";
import { PACKAGE_ROOT } from "../../src/package-root.js";

// Refused before anything is built or measured: these runs take a second, not minutes.
const bench = (...args: string[]) =>
  execa(path.join(PACKAGE_ROOT, "node_modules", ".bin", "tsx"), ["bench/run.ts", ...args], {
    cwd: PACKAGE_ROOT,
    reject: false,
    timeout: 30_000,
  });

it("refuses --only naming an item that does not exist, and lists the items", async () => {
  const missing = Math.max(...ITEMS.map((item) => item.id)) + 1;
  const run = await bench("--only", String(missing), "--no-build");
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toBe(
    `--only: no item ${missing}; the items are ${ITEMS.map((item) => item.id).join(", ")}`,
  );
  expect(run.stdout).toBe("");
});

it("refuses a run count that is not a whole number", async () => {
  const run = await bench("--runs", "0", "--no-build");
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toBe("--runs: expected a whole number ≥ 1 (got 0)");
});
