import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { childEnv, hostEnv, launcherEnv } from "../../src/exec/child-env.js";
import { forEachLine, linesText } from "../../src/exec/output-lines.js";
import { runCommand } from "../../src/exec/run-command.js";
import { sandboxFor } from "../../src/exec/sandbox.js";
import { seal } from "../../src/secrets/secret-box.js";
import { projectIdOf, setProjectVariables } from "../../src/store/project-variables.js";
import { readLogLines } from "../../src/store/step-log-lines.js";
import { fixtureRepo, type GitRepo } from "../helpers/git-repo.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// Issue 18, item 1: no string a tenant controls (coduck.json `env`, project variables) reaches
// a process outside the box. Each attack plants a marker-writing payload where a host-side
// process (bubblewrap's launcher as root, git at checkout) would run it: the box has its own
// /tmp, so a marker in the host's /tmp can only come from outside it.
/** How long a deploy here may take to end. */
const DEPLOY_WAIT = 180_000;
/** A test's own limit: its deploys' waits, and time for the rest. */
const TIMEOUT = DEPLOY_WAIT + 60_000;
const ADMIN_TOKEN = "launcher-environment-admin-token-0123";
const markers: string[] = [];

function newMarker(): string {
  const marker = path.join(os.tmpdir(), `${randomBytes(6).toString("hex")}-pwned`);
  markers.push(marker);
  return marker;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

afterAll(async () => {
  for (const marker of markers) await rm(marker, { force: true });
});

/** A shared object whose constructor writes `marker`: what LD_PRELOAD would load. */
async function preloadLibrary(dir: string, marker: string): Promise<void> {
  const source = path.join(dir, "x.c");
  await writeFile(
    source,
    `#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void pwn(void) {
  int fd = open(${JSON.stringify(marker)}, O_CREAT | O_WRONLY | O_APPEND, 0666);
  if (fd >= 0) { write(fd, "loaded\\n", 7); close(fd); }
}
`,
  );
  await execa("gcc", ["-shared", "-fPIC", "-o", path.join(dir, "x.so"), source]);
  await rm(source);
}

/**
 * A repository whose checkout runs a committed post-checkout hook writing `marker`, for a git
 * that is told (by GIT_CONFIG_* in its environment) that the hooks live in the tree's `hooks/`.
 */
async function repoWithCheckoutHook(marker: string): Promise<GitRepo> {
  const repo = await fixtureRepo("node-http", {
    // Variables the app may have: they show in the build step's log.
    "coduck.json": JSON.stringify({
      build: 'echo "app sees GIT_CONFIG_COUNT=$GIT_CONFIG_COUNT"',
    }),
  });
  await mkdir(path.join(repo.dir, "hooks"));
  const hook = path.join(repo.dir, "hooks", "post-checkout");
  await writeFile(hook, `#!/bin/sh\necho "git ran the hook as $(id -u)" >> ${marker}\n`);
  await chmod(hook, 0o755);
  await repo.commit({}, "a checkout hook");
  return repo;
}

/** Project variables that would make a git at checkout run the repository's hook. */
async function plantGitVariables(stack: TestStack, project: string, repo: GitRepo) {
  const add = await cli(["projects", "add", project, "--repo", repo.dir], stack.env);
  expect(add.exitCode).toBe(0);
  const set = await cli(
    [
      "env",
      "set",
      "--project",
      project,
      "GIT_CONFIG_COUNT=1",
      "GIT_CONFIG_KEY_0=core.hooksPath",
      "GIT_CONFIG_VALUE_0=hooks",
    ],
    stack.env,
  );
  expect(set.exitCode).toBe(0);
}

async function stepLog(stack: TestStack, id: string, step: string): Promise<string[]> {
  const row = await stack.db.deploymentStep.findFirstOrThrow({
    where: { deploymentId: id, name: step },
  });
  return (await readLogLines(stack.db, row.id)).map((line) => line.line);
}

describe("sandboxed (SANDBOX=bwrap, the default)", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await createTestStack({ RUNTIME_WATCH_SECONDS: "0" });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(
    "refuses coduck.json env LD_PRELOAD with CONFIG_INVALID naming it: the committed library never loads",
    async () => {
      const marker = newMarker();
      const repo = await fixtureRepo("node-http", {
        "coduck.json": JSON.stringify({ env: { LD_PRELOAD: "./x.so" } }),
      });
      await preloadLibrary(repo.dir, marker);
      await repo.commit({}, "a library to preload");

      const id = await stack.deploy({ project: "preload", repoUrl: repo.dir });
      const record = await stack.waitForEnd(id, DEPLOY_WAIT);
      expect(await exists(marker)).toBe(false);
      expect(record.status).toBe("failed");
      expect(record.errorCode).toBe("CONFIG_INVALID");
      const checkout = record.steps.find((step) => step.name === "checkout");
      expect(checkout).toMatchObject({ status: "failed", errorCode: "CONFIG_INVALID" });
      expect(checkout?.evidence).toMatch(/^coduck\.json: env\.LD_PRELOAD: refused: [^\n]+$/);
      expect(record.steps.find((step) => step.name === "install")?.status).toBe("skipped");
    },
    TIMEOUT,
  );

  it("refuses LD_PRELOAD and the loader's other variables as project variables, with one line naming each", async () => {
    const repo = await fixtureRepo("node-http");
    expect(
      (await cli(["projects", "add", "preload-vars", "--repo", repo.dir], stack.env)).exitCode,
    ).toBe(0);
    for (const name of ["LD_PRELOAD", "LD_LIBRARY_PATH", "GCONV_PATH", "PATH", "HOME"]) {
      const set = await cli(
        ["env", "set", "--project", "preload-vars", "OK=1", `${name}=./x.so`],
        stack.env,
      );
      expect(set.exitCode).not.toBe(0);
      expect(set.stderr).toMatch(new RegExp(`^coduck-worker: ${name}: refused: [^\\n]+$`));
    }
    expect(await stack.db.projectVariable.count({ where: { name: "OK" } })).toBe(0);
  });

  it.each([
    ["LD_PRELOAD", "./x.so", "CONFIG_INVALID"],
    ["DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres", "RESERVED_ENV"],
  ])(
    "fails the deploy at provision on a stored project variable %s from before the rules, naming it",
    async (name, value, code) => {
      const project = `stored-${name.toLowerCase().replaceAll("_", "-")}`;
      const repo = await fixtureRepo("node-http");
      expect(
        (await cli(["projects", "add", project, "--repo", repo.dir], stack.env)).exitCode,
      ).toBe(0);
      // Written past `env set`'s checks, as a variable kept before they existed would be.
      const sealed = seal(stack.keyring, value);
      await setProjectVariables(stack.db, (await projectIdOf(stack.db, project))!, [
        { name, valueEncrypted: sealed.ciphertext, keyVersion: sealed.keyVersion, secret: false },
      ]);
      const id = await stack.deploy({ project, repoUrl: repo.dir });
      const record = await stack.waitForEnd(id, DEPLOY_WAIT);
      expect(record).toMatchObject({ status: "failed", errorCode: code });
      const provision = record.steps.find((step) => step.name === "provision");
      expect(provision?.evidence).toMatch(
        new RegExp(
          `^project variable ${name}: .*coduck-worker env unset --project ${project} ${name}$`,
        ),
      );
      expect(record.steps.find((step) => step.name === "checkout")?.status).toBe("skipped");
    },
    TIMEOUT,
  );

  it(
    "never hands project variables to git at checkout (GIT_CONFIG_* pointing its hooks into the repository), while the app still gets them",
    async () => {
      const marker = newMarker();
      const repo = await repoWithCheckoutHook(marker);
      await plantGitVariables(stack, "git-hook", repo);

      const id = await stack.deploy({ project: "git-hook", repoUrl: repo.dir });
      const record = await stack.waitForEnd(id, DEPLOY_WAIT);
      expect(await exists(marker)).toBe(false);
      expect(record.status).toBe("succeeded");
      expect(record.sandbox).toBe("bwrap");
      expect(await stepLog(stack, id, "build")).toContain("app sees GIT_CONFIG_COUNT=1");
    },
    TIMEOUT,
  );
});

it("runs the box's launcher with the fixed host environment, and sets the app's variables inside the box only", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coduck-launcher-env-"));
  // A host network setting: the app's package manager needs it, the launcher's Node does not
  // (it would parse the whole bundle at its start).
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = "/etc/ssl/certs/ca-certificates.crt";
  try {
    const releaseDir = path.join(dataDir, "releases", "envbox", "r-1");
    await mkdir(releaseDir, { recursive: true });
    const box = await sandboxFor("bwrap", { dataDir, releaseDir, project: "envbox" });
    const app = { APP_ONLY: "seen inside", NODE_OPTIONS: "--max-old-space-size=256" };
    const wrapped = await box!.wrap(
      {
        file: "sh",
        args: ["-c", "env; echo \"relay: $(tr '\\0' ' ' < /proc/$PPID/cmdline)\""],
        cwd: releaseDir,
        env: childEnv(app),
      },
      "step",
    );
    // What runs on the host (the launcher, bwrap) gets nothing of the app's, nor the host's
    // network settings.
    expect(wrapped.env).toEqual(launcherEnv());
    const host = hostEnv();
    expect(host.NODE_EXTRA_CA_CERTS).toBe("/etc/ssl/certs/ca-certificates.crt");
    expect(wrapped.env).toEqual(
      Object.fromEntries(Object.entries(host).filter(([name]) => !/CERT|PROXY/i.test(name))),
    );
    const output: string[] = [];
    const result = await runCommand(wrapped, {
      onOutput: (_stream, lines) => forEachLine(linesText(lines), (line) => output.push(line)),
      timeoutMs: 30_000,
    });
    expect({ exitCode: result.exitCode, output }).toEqual({ exitCode: 0, output });
    expect(output).toContain("APP_ONLY=seen inside");
    expect(output).toContain("NODE_OPTIONS=--max-old-space-size=256");
    // The app's own tools first, then the box's PATH: the system's and Node's, nothing of the
    // host's own layout (the worker's PATH may name /root or a checkout).
    const boxPath = output.find((line) => line.startsWith("PATH="))?.slice("PATH=".length);
    const [appBin, ...rest] = boxPath?.split(":") ?? [];
    expect(appBin).toBe(path.join(releaseDir, "node_modules", ".bin"));
    const systemDirs = [
      "/usr/local/sbin",
      "/usr/local/bin",
      "/usr/sbin",
      "/usr/bin",
      "/sbin",
      "/bin",
    ];
    expect(rest.filter((dir) => !systemDirs.includes(dir))).toEqual(
      systemDirs.includes(path.dirname(process.execPath)) ? [] : [path.dirname(process.execPath)],
    );
    expect(output).toContain(`HOME=${path.join(dataDir, "homes", "envbox")}`);
    expect(output).toContain("NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt");
    // The command runs behind the native relay (compiled by `npm run build`), bound read-only.
    expect(output.find((line) => line.startsWith("relay: "))).toMatch(
      /^relay: \/run\/coduck-relay 0 sh -c /,
    );
  } finally {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
    await rm(dataDir, { recursive: true, force: true });
  }
});

it(
  "never hands coduck.json env to a process on the host: NODE_OPTIONS requiring the repository's script loads only inside the box",
  async () => {
    const marker = newMarker();
    const stack = await createTestStack({ RUNTIME_WATCH_SECONDS: "0" });
    try {
      await stack.startWorker();
      const repo = await fixtureRepo("node-http", {
        // The box's /tmp is its own: the marker on the host's can only come from outside it.
        "evil.cjs": `require("node:fs").appendFileSync(${JSON.stringify(marker)}, "loaded as " + process.getuid() + "\\n"); console.error("evil.cjs loaded");`,
        "coduck.json": JSON.stringify({
          env: { NODE_OPTIONS: "--require ./evil.cjs" },
        }),
      });
      const id = await stack.deploy({ project: "node-options", repoUrl: repo.dir });
      const record = await stack.waitForEnd(id, DEPLOY_WAIT);
      expect(await exists(marker)).toBe(false);
      expect(record.status).toBe("succeeded");
      // It did load, in the app's own commands inside the box.
      expect(await stepLog(stack, id, "install")).toContain("evil.cjs loaded");
    } finally {
      await stack.close();
    }
  },
  TIMEOUT,
);

describe("unsandboxed (SANDBOX=off)", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await createTestStack({
      SANDBOX: "off",
      RUNTIME_WATCH_SECONDS: "0",
      ADMIN_TOKEN: ADMIN_TOKEN,
    });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(
    "still keeps project variables from git, hands them to the app, and records that it ran unsandboxed",
    async () => {
      const marker = newMarker();
      const repo = await repoWithCheckoutHook(marker);
      await plantGitVariables(stack, "git-hook-off", repo);

      const id = await stack.deploy({ project: "git-hook-off", repoUrl: repo.dir });
      const record = await stack.waitForEnd(id, DEPLOY_WAIT);
      expect(await exists(marker)).toBe(false);
      expect(record.status).toBe("succeeded");
      expect(await stepLog(stack, id, "build")).toContain("app sees GIT_CONFIG_COUNT=1");

      expect(record.sandbox).toBe("off");
      const shown = await cli(["deployments", "show", id], stack.env);
      expect(shown.stdout).toContain(
        "  sandbox   off: app code ran unsandboxed, as the worker's user (SANDBOX=off)",
      );
      const json = JSON.parse(
        (await cli(["deployments", "show", id, "--json"], stack.env)).stdout as string,
      );
      expect(json.sandbox).toBe("off");
      // The operator API's record and the dashboard's deployment page say the same.
      const http = await buildTestApp(stack);
      try {
        const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
        const api = await http.inject({ url: `/api/deployments/${id}`, headers });
        expect(api.json()).toMatchObject({ id, sandbox: "off" });
        const page = await http.inject({ url: `/admin/deployments/${id}`, headers });
        expect(page.body).toContain(
          `<dd id="sandbox">off: app code ran unsandboxed, as the worker&#39;s user (SANDBOX=off)</dd>`,
        );
      } finally {
        await http.close();
      }
    },
    TIMEOUT,
  );
});
