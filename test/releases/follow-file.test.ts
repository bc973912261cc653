import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { followFile } from "../../src/releases/follow-file.js";
import { waitFor } from "../helpers/wait-for.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-follow-"));
});
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** app.log written with `initial`, followed every `intervalMs`, and the lines it handed on. */
async function followed(initial: string | Buffer, intervalMs = 10) {
  const file = path.join(dir, "app.log");
  await writeFile(file, initial);
  const lines: string[] = [];
  return { file, lines, follow: followFile(file, (line) => lines.push(line), intervalMs) };
}

it("hands on the lines appended to a file, and on stop the rest, a last line without newline too", async () => {
  const { file, lines, follow } = await followed("first\n");
  await waitFor("the first line", () => lines.length === 1, 10_000);
  await appendFile(file, "second\nthird, part");
  await appendFile(file, "ly written\nno newline");
  await follow.stop();
  expect(lines).toEqual(["first", "second", "third, partly written", "no newline"]);
});

it("stops at once, without waiting out its poll interval", async () => {
  // An hour between polls: a stop that waited for the next one would outlast the test's timeout.
  const { file, lines, follow } = await followed("ready\n", 3_600_000);
  await waitFor("the first read", () => lines.length === 1, 10_000);
  await appendFile(file, "listening\n");
  await follow.stop();
  expect(lines).toEqual(["ready", "listening"]);
});

it("waits for a file that does not exist yet", async () => {
  const file = path.join(dir, "later.log");
  const lines: string[] = [];
  const follow = followFile(file, (line) => lines.push(line), 10);
  await writeFile(file, "now\n");
  await waitFor("the line", () => lines.length === 1, 10_000);
  await follow.stop();
  expect(lines).toEqual(["now"]);
});

it("on a stop with settleMs, waits for what the file gets a moment later", async () => {
  const { file, lines, follow } = await followed("bound\n");
  await waitFor("the first line", () => lines.length === 1, 10_000);
  const stopped = follow.stop({ settleMs: 10_000 });
  await new Promise((resolve) => setTimeout(resolve, 30));
  await appendFile(file, "listening\n");
  await stopped;
  expect(lines).toEqual(["bound", "listening"]);
});

it("decodes a character whose bytes arrive in two writes", async () => {
  const snowman = Buffer.from("☃", "utf8");
  const { file, lines, follow } = await followed(
    Buffer.concat([Buffer.from("a "), snowman.subarray(0, 1)]),
  );
  await new Promise((resolve) => setTimeout(resolve, 50)); // a poll reads the first byte alone
  await appendFile(file, Buffer.concat([snowman.subarray(1), Buffer.from(" b\n")]));
  await waitFor("the line", () => lines.length === 1, 10_000);
  await follow.stop();
  expect(lines).toEqual(["a ☃ b"]);
});
