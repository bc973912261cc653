import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { tempDir } from "./temp-dir.js";

const APPS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "apps");

const GIT_ENV = {
  GIT_AUTHOR_NAME: "CoDuck Test",
  GIT_AUTHOR_EMAIL: "test@coduck.invalid",
  GIT_COMMITTER_NAME: "CoDuck Test",
  GIT_COMMITTER_EMAIL: "test@coduck.invalid",
};

export type GitRepo = {
  dir: string;
  commit(files: Record<string, string>, message?: string): Promise<string>;
};

/**
 * A real git repository (branch `main`) holding a fixture app from test/fixtures/apps,
 * with optional files laid over it, committed; removed when the test file ends.
 */
export async function fixtureRepo(
  app: string,
  overrides: Record<string, string> = {},
): Promise<GitRepo> {
  const dir = await tempDir(`coduck-repo-${app}-`);
  await cp(path.join(APPS, app), dir, { recursive: true });
  await execa("git", ["init", "--quiet", "--initial-branch=main"], { cwd: dir });
  const repo: GitRepo = {
    dir,
    async commit(files, message = "change") {
      for (const [name, content] of Object.entries(files)) {
        await writeFile(path.join(dir, name), content);
      }
      await execa("git", ["add", "--all"], { cwd: dir });
      await execa("git", ["commit", "--quiet", "--allow-empty", "-m", message], {
        cwd: dir,
        env: GIT_ENV,
      });
      return (await execa("git", ["rev-parse", "HEAD"], { cwd: dir })).stdout;
    },
  };
  await repo.commit(overrides, "initial commit");
  return repo;
}
