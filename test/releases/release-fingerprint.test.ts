import { mkdir, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { copyRelease } from "../../src/releases/copy-release.js";
import { releaseFingerprint } from "../../src/releases/release-fingerprint.js";
import { tempDir } from "../helpers/temp-dir.js";

async function release(): Promise<string> {
  const dir = await tempDir("coduck-fingerprint-");
  await mkdir(path.join(dir, "node_modules", ".bin"), { recursive: true });
  await mkdir(path.join(dir, ".coduck"));
  await writeFile(path.join(dir, "package.json"), "{}\n");
  await writeFile(path.join(dir, "node_modules", "tool.js"), "console.log(1)\n");
  await symlink("../tool.js", path.join(dir, "node_modules", ".bin", "tool"));
  await writeFile(path.join(dir, ".coduck", "app.log"), "started\n");
  return dir;
}

describe("releaseFingerprint", () => {
  it("changes when a file is written, added or removed, and not for the platform's .coduck/", async () => {
    const dir = await release();
    const first = await releaseFingerprint(dir);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await releaseFingerprint(dir)).toBe(first);

    await writeFile(path.join(dir, ".coduck", "app.log"), "started\nmore output\n");
    expect(await releaseFingerprint(dir)).toBe(first);

    const file = path.join(dir, "node_modules", "tool.js");
    await writeFile(file, "console.log(2)\n"); // same size, new mtime
    await utimes(file, new Date(), new Date(Date.now() + 5_000));
    const written = await releaseFingerprint(dir);
    expect(written).not.toBe(first);

    await writeFile(path.join(dir, "extra.txt"), "x");
    const added = await releaseFingerprint(dir);
    expect(added).not.toBe(written);
    await rm(path.join(dir, "extra.txt"));
    expect(await releaseFingerprint(dir)).toBe(written);
  });

  it("is null for a directory that is gone", async () => {
    const dir = await release();
    await rm(dir, { recursive: true });
    expect(await releaseFingerprint(dir)).toBeNull();
  });
});

describe("copyRelease", () => {
  it("copies a release with its fingerprint, symlinks as they are, without .coduck/, leaving the original alone", async () => {
    const source = await release();
    const before = await releaseFingerprint(source);
    const target = path.join(await tempDir("coduck-copy-"), "r");
    await copyRelease(source, target);
    expect(await releaseFingerprint(target)).toBe(before);
    expect(await readFile(path.join(target, "node_modules", ".bin", "tool"), "utf8")).toBe(
      "console.log(1)\n",
    );
    await expect(readFile(path.join(target, ".coduck", "app.log"))).rejects.toThrow(/ENOENT/);

    await writeFile(path.join(target, "package.json"), '{"changed":true}\n');
    expect(await releaseFingerprint(source)).toBe(before);
    expect(await readFile(path.join(source, "package.json"), "utf8")).toBe("{}\n");
  });
});
