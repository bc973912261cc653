import { classifyLines } from "./classify-helper.js";

describe("package manager evidence", () => {
  it("reads npm ci refusing an out-of-sync lock file, past npm's usage text", async () => {
    const result = await classifyLines("install", 1, [
      "npm error code EUSAGE",
      "npm error",
      "npm error `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.",
      "npm error",
      "npm error Missing: date-fns@3.6.0 from lock file",
      "npm error",
      "npm error Clean install a project",
      "npm error",
      "npm error Usage:",
      "npm error npm ci",
      'npm error Run "npm help ci" for more info',
      "npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log",
    ]);
    expect(result.code).toBe("LOCKFILE_OUT_OF_SYNC");
    expect(result.evidence[0]?.line).toBe(3);
  });

  it("reads missing lock files and yarn's frozen lockfile", async () => {
    const npm = await classifyLines("install", 1, [
      "npm error code EUSAGE",
      "npm error The `npm ci` command can only install with an existing package-lock.json or",
      "npm error npm-shrinkwrap.json with lockfileVersion >= 1.",
    ]);
    const yarn = await classifyLines("install", 1, [
      "yarn install v1.22.22",
      "[1/4] Resolving packages...",
      "error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.",
      "info Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.",
    ]);
    const pnpm = await classifyLines("install", 1, [
      ' ERR_PNPM_NO_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is absent',
    ]);
    expect([npm.code, yarn.code, pnpm.code]).toEqual([
      "LOCKFILE_OUT_OF_SYNC",
      "LOCKFILE_OUT_OF_SYNC",
      "LOCKFILE_OUT_OF_SYNC",
    ]);
  });

  it("reads ERESOLVE as a peer conflict, but not npm's ERESOLVE warning", async () => {
    const conflict = await classifyLines("install", 1, [
      "npm error code ERESOLVE",
      "npm error ERESOLVE unable to resolve dependency tree",
      "npm error",
      "npm error While resolving: web@0.1.0",
      "npm error Found: react@18.3.1",
      "npm error Could not resolve dependency:",
      'npm error peer react@"^17.0.0" from react-beautiful-dnd@13.1.1',
      "npm error Fix the upstream dependency conflict, or retry",
    ]);
    expect(conflict).toMatchObject({
      code: "DEPENDENCY_RESOLUTION_FAILED",
      variant: "peer-conflict",
    });

    const warned = await classifyLines("install", 1, [
      "npm warn ERESOLVE overriding peer dependency",
      "npm warn While resolving: web@0.1.0",
      "npm error code EUSAGE",
      "npm error Missing: left-pad@1.3.0 from lock file",
    ]);
    expect(warned.code).toBe("LOCKFILE_OUT_OF_SYNC");
  });

  it("reads versions and packages that do not exist", async () => {
    for (const lines of [
      [
        "npm error code ETARGET",
        "npm error notarget No matching version found for express@^9.0.0.",
      ],
      [
        'error Couldn\'t find any versions for "left-pad" that matches "^9.0.0"',
        "info Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.",
      ],
      ["➤ YN0001: │ Error: left-pad@npm:^9.0.0: No candidates found"],
    ]) {
      expect((await classifyLines("install", 1, lines)).code).toBe("DEPENDENCY_RESOLUTION_FAILED");
    }
  });

  it("reads a missing script from npm, pnpm and yarn", async () => {
    for (const line of [
      'npm error Missing script: "build"',
      "npm ERR! missing script: start",
      " ERR_PNPM_NO_SCRIPT  Missing script: build",
      'error Command "build" not found.',
    ]) {
      expect((await classifyLines("build", 1, [line])).code).toBe("MISSING_SCRIPT");
    }
  });

  it("falls back to INSTALL_FAILED for an install error no rule names", async () => {
    const result = await classifyLines("install", 1, [
      "npm error code 1",
      "npm error path /app/node_modules/bcrypt",
      "npm error command failed",
      "npm error command sh -c node-pre-gyp install --fallback-to-build",
      "npm error gyp ERR! stack Error: `make` failed with exit code: 2",
      "npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log",
    ]);
    expect(result.code).toBe("INSTALL_FAILED");
    expect(result.evidence[0]?.text).toMatch(/make` failed/);
  });
});
