import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CONFIG_VARIABLES } from "../../src/config.js";
import { childEnv } from "../../src/exec/child-env.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// A real deploy through the worker, sandbox required: what the deployed app can see and do,
// as it reports it over HTTP (test/fixtures/apps/sandbox-probe).
const TIMEOUT = 180_000;
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ SANDBOX: "bwrap" });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

type Attempt = { ok: boolean; code?: string; value?: unknown };
type Report = {
  uid: number;
  gid: number;
  env: Record<string, string>;
  pidVisible: Attempt;
  environ: Attempt;
  signal: Attempt;
  reads: Record<string, Attempt>;
  writes: Record<string, Attempt>;
  databases: Record<string, Attempt & { message?: string }>;
};

it(
  "a deployed app sees only its own release, its own variables and its own database",
  async () => {
    const neighbourRepo = await fixtureRepo("node-http");
    const neighbourId = await stack.deploy({ project: "neighbour", repoUrl: neighbourRepo.dir });
    expect((await stack.waitForEnd(neighbourId, TIMEOUT)).status).toBe("succeeded");
    const probeRepo = await fixtureRepo("sandbox-probe", {
      "coduck.json": JSON.stringify({ start: "node src/index.js", env: { PROBE_OWN: "mine" } }),
    });
    const id = await stack.deploy({ project: "probe", repoUrl: probeRepo.dir });
    const record = await stack.waitForEnd(id, TIMEOUT);
    expect(record.status).toBe("succeeded");

    const { dataDir } = stack.config;
    const ownRelease = path.join(dataDir, "releases", "probe", `${id}-1`);
    const neighbourRelease = path.join(dataDir, "releases", "neighbour", `${neighbourId}-1`);
    // The stack's key comes from SECRETS_KEY; this is where the key file would be.
    const keyFile = path.join(dataDir, "secrets.key");
    await writeFile(keyFile, "1:decoy\n", { mode: 0o600 });
    const hostTmpFile = path.join(
      os.tmpdir(),
      `coduck-host-only-${randomBytes(4).toString("hex")}`,
    );
    await writeFile(hostTmpFile, "host", { mode: 0o644 });
    const databases = await stack.db.projectDatabase.findMany({
      select: { databaseName: true, project: { select: { slug: true } } },
    });
    const dbOf = (slug: string) => databases.find((d) => d.project.slug === slug)!.databaseName;

    const query = new URLSearchParams([
      ["pid", String(process.pid)],
      ["read", keyFile],
      ["read", neighbourRelease],
      ["read", path.join(dataDir, "releases", "neighbour")],
      ["read", `${neighbourRelease}.log`],
      // supervisord's program specs hold each app's secrets; its socket and Caddy's admin
      // socket would let an app run commands or reroute any project.
      ["read", `${neighbourRelease}.log.program.json`],
      ["read", `${ownRelease}.log.program.json`],
      ["read", path.join(dataDir, "supervisor")],
      ["read", path.join(dataDir, "caddy")],
      ["read", hostTmpFile],
      ["read", path.join(ownRelease, "package.json")],
      ["write", ownRelease],
      ["write", "/usr/local"],
      ["write", "/etc"],
      ["database", dbOf("neighbour")],
      ["database", dbOf("probe")],
    ]);
    const response = await fetchApp(`${record.release!.url}/probe?${query}`);
    const report = (await response.json()) as Report;
    await rm(hostTmpFile, { force: true });

    // The project's own uid and gid, allocated at its first deploy (store/project-app-uid.ts).
    const { appUid } = await stack.db.project.findUniqueOrThrow({
      where: { slug: "probe" },
      select: { appUid: true },
    });
    expect(appUid).toBeGreaterThanOrEqual(stack.config.appUidBase);
    expect({ uid: report.uid, gid: report.gid }).toEqual({ uid: appUid, gid: appUid });
    // Its own PID namespace: the worker does not exist there, let alone its environment.
    expect(report.pidVisible).toEqual({ ok: false, code: "ENOENT" });
    expect(report.environ).toEqual({ ok: false, code: "ENOENT" });
    expect(report.signal).toEqual({ ok: false, code: "ESRCH" });
    expect(report.reads[keyFile]).toEqual({ ok: false, code: "ENOENT" });
    expect(report.reads[neighbourRelease]).toEqual({ ok: false, code: "ENOENT" });
    expect(report.reads[path.join(dataDir, "releases", "neighbour")]).toEqual({
      ok: false,
      code: "ENOENT",
    });
    expect(report.reads[`${neighbourRelease}.log`]).toEqual({ ok: false, code: "ENOENT" });
    for (const hidden of [
      `${neighbourRelease}.log.program.json`,
      `${ownRelease}.log.program.json`,
      path.join(dataDir, "supervisor"),
      path.join(dataDir, "caddy"),
    ])
      expect({ hidden, ...report.reads[hidden] }).toEqual({ hidden, ok: false, code: "ENOENT" });
    expect(report.reads[hostTmpFile]).toEqual({ ok: false, code: "ENOENT" });
    expect(report.reads[path.join(ownRelease, "package.json")]?.ok).toBe(true);
    expect(report.writes[ownRelease]).toEqual({ ok: true });
    expect(report.writes["/usr/local"]).toEqual({ ok: false, code: "EROFS" });
    expect(report.writes["/etc"]).toEqual({ ok: false, code: "EROFS" });

    // Another project's database: the box's database bridge refuses it before Postgres sees it
    // (network-isolation.int.test.ts; REVOKE CONNECT behind it: connect-privileges.int.test.ts).
    expect(report.databases[dbOf("neighbour")]).toMatchObject({ ok: false, code: "28000" });
    expect(report.databases[dbOf("probe")]).toEqual({ ok: true });

    // Its environment: the basics, the platform's injected variables and its own, nothing else.
    const allowed = [
      ...Object.keys(
        childEnv({ DATABASE_URL: "", DIRECT_URL: "", PORT: "", NODE_ENV: "", PROBE_OWN: "" }),
      ),
      "PWD", // set by the `sh -c` the start command runs in
    ];
    expect(Object.keys(report.env).filter((name) => !allowed.includes(name))).toEqual([]);
    expect(report.env.PROBE_OWN).toBe("mine");
    expect(report.env.HOME).toBe(path.join(dataDir, "homes", "probe"));
    const workerValues = CONFIG_VARIABLES.map((name) => stack.env[name]).filter(
      (value): value is string => Boolean(value && value.length > 8),
    );
    const workerSecrets = [
      stack.config.adminDatabaseUrl,
      stack.config.databaseUrl,
      stack.config.secretsKey!,
      ...workerValues.filter((value) => value.includes("://") || value === stack.config.secretsKey),
    ];
    for (const value of Object.values(report.env))
      for (const secret of workerSecrets) expect(value).not.toContain(secret);
  },
  TIMEOUT * 2,
);
