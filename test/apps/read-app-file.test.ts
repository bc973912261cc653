import { mkdtemp, open, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readAppFile } from "../../src/apps/read-app-file.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-read-app-file-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readAppFile with maxBytes", () => {
  it("reads a file up to the bound, to its last byte", async () => {
    const text = "é".repeat(500); // 1,000 bytes
    await writeFile(path.join(dir, "script.sql"), text);
    expect(await readAppFile(dir, path.join(dir, "script.sql"), { maxBytes: 1_000 })).toBe(text);
  });

  it("refuses a file one byte over the bound, and a sparse one that claims gigabytes, without reading it", async () => {
    await writeFile(path.join(dir, "over.sql"), "x".repeat(1_001));
    await expect(
      readAppFile(dir, path.join(dir, "over.sql"), { maxBytes: 1_000 }),
    ).rejects.toMatchObject({ code: "EFBIG", message: "over.sql is larger than 1000 bytes" });
    // What the app can leave for the worker at no cost: 64 GB of nothing.
    const sparse = await open(path.join(dir, "sparse.sql"), "w");
    await sparse.truncate(64 * 1024 ** 3);
    await sparse.close();
    const started = performance.now();
    await expect(
      readAppFile(dir, path.join(dir, "sparse.sql"), { maxBytes: 32 * 1024 * 1024 }),
    ).rejects.toMatchObject({ code: "EFBIG" });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("still refuses a link out of the app's directory", async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), "coduck-read-app-file-out-"));
    try {
      await writeFile(path.join(outside, "secret"), "key");
      await symlink(path.join(outside, "secret"), path.join(dir, "script.sql"));
      await expect(
        readAppFile(dir, path.join(dir, "script.sql"), { maxBytes: 1_000 }),
      ).rejects.toMatchObject({ code: "EOUTSIDEAPP" });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
