import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { BENCH_DIR } from "./processes.js";

const GIT_ENV = {
  GIT_AUTHOR_NAME: "CoDuck Bench",
  GIT_AUTHOR_EMAIL: "bench@coduck.invalid",
  GIT_COMMITTER_NAME: "CoDuck Bench",
  GIT_COMMITTER_EMAIL: "bench@coduck.invalid",
};

/** bench/apps/hello committed into a fresh local git repository (branch `main`). */
export async function helloRepo(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-bench-hello-"));
  await cp(path.join(BENCH_DIR, "apps", "hello"), dir, { recursive: true });
  await execa("git", ["init", "--quiet", "--initial-branch=main"], { cwd: dir });
  await execa("git", ["add", "--all"], { cwd: dir });
  await execa("git", ["commit", "--quiet", "-m", "hello"], { cwd: dir, env: GIT_ENV });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
