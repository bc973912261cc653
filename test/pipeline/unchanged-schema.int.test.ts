import { readFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { checkReuse } from "../../src/pipeline/check-reuse.js";
import { ensureProjectDatabase } from "../../src/provisioning/provision-project.js";
import { releaseSource } from "../../src/store/release-directories.js";
import { queryAt } from "../helpers/databases.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(600_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const deps = () => ({ db: stack.db, config: stack.config, keyring: stack.keyring });

// What Prisma prints when `db push` ran (either way it ends).
const PUSHED = /(?:already|now) in sync with (?:your|the) Prisma schema/i;

async function deploySchemaStep(project: string, repoDir: string) {
  const record = await stack.waitForEnd(await stack.deploy({ project, repoUrl: repoDir }), 240_000);
  expect({ status: record.status, errorCode: record.errorCode }).toEqual({
    status: "succeeded",
    errorCode: null,
  });
  return { record, log: record.steps.find((s) => s.name === "schema")!.logTail ?? "" };
}

describe("the schema step's push of an unchanged schema", () => {
  it("is skipped, and runs again for a changed schema file or a table dropped out of band", async () => {
    const repo = await fixtureRepo("prisma-app");
    const first = await deploySchemaStep("ledgerish", repo.dir);
    expect(first.log).toContain(
      "db push runs: no earlier push recorded for this project's database",
    );
    expect(first.log).toMatch(PUSHED);
    expect(first.log).toMatch(/recorded the push \(hash [0-9a-f]{12}\)/);
    // The create script the push reads first was read beside the build, and not again here.
    expect(first.log).toMatch(/\$ prisma migrate diff --from-empty .* {3}\(ran during the build\)/);
    expect(first.log.match(/migrate diff --from-empty/g)).toHaveLength(1);

    // A code-only change: nothing for the push to do, and it says since when.
    await repo.commit({
      "server.js": `${await readFile(path.join(repo.dir, "server.js"), "utf8")}\n// v2\n`,
    });
    const second = await deploySchemaStep("ledgerish", repo.dir);
    expect(second.log).toMatch(
      new RegExp(
        `schema unchanged since deployment ${first.record.id} \\(hash [0-9a-f]{12}…\\): db push skipped`,
      ),
    );
    expect(second.log).not.toMatch(PUSHED);
    expect(second.log).not.toContain("schema check:");

    // A table dropped out of band: the catalog no longer matches, the push recreates it.
    const { directUrl } = await ensureProjectDatabase(deps(), "ledgerish");
    await queryAt(directUrl, `DROP TABLE "Post"`);
    await repo.commit({}, "redeploy");
    const third = await deploySchemaStep("ledgerish", repo.dir);
    expect(third.log).toContain(
      "but the database's tables, columns, indexes, constraints or types changed since that push",
    );
    expect(third.log).toMatch(PUSHED);
    expect(
      await queryAt(directUrl, `SELECT to_regclass('public."Post"') IS NOT NULL AS present`),
    ).toEqual([{ present: true }]);

    // Then unchanged again, since the push that recreated it.
    await repo.commit({}, "redeploy");
    const fourth = await deploySchemaStep("ledgerish", repo.dir);
    expect(fourth.log).toContain(`schema unchanged since deployment ${third.record.id}`);

    // A changed schema file: the push runs and adds the column.
    const schemaFile = path.join(repo.dir, "prisma", "schema.prisma");
    const withSummary = (await readFile(schemaFile, "utf8")).replace(
      /^(\s*title\s+String\s*)$/m,
      "$1\n  summary String?",
    );
    expect(withSummary).toContain("summary String?");
    await repo.commit({ "prisma/schema.prisma": withSummary });
    const fifth = await deploySchemaStep("ledgerish", repo.dir);
    expect(fifth.log).toMatch(
      /db push runs: the schema, its config, Prisma or the packages it loads, or the variables changed since deployment/,
    );
    expect(fifth.log).toMatch(PUSHED);
    expect(fifth.log).toContain("(ran during the build)");
    expect(
      await queryAt(
        directUrl,
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'Post' AND column_name = 'summary'`,
      ),
    ).toEqual([{ n: 1 }]);
  });

  it("is skipped, and the client reused, when the lockfile changed only in packages Prisma does not load", async () => {
    const repo = await fixtureRepo("prisma-app");
    // A build, so that the build caches (the generated client among them) are kept.
    const manifest = JSON.parse(await readFile(path.join(repo.dir, "package.json"), "utf8"));
    manifest.scripts.build = "node -e 0";
    await repo.commit({ "package.json": JSON.stringify(manifest, null, 2) });
    const first = await deploySchemaStep("lockfilechange", repo.dir);
    expect(first.log).toMatch(/recorded the push/);

    // The app now depends on xtend itself (installed before, for pg): package.json and the
    // lockfile's root entry change, as `npm install xtend` changes them; Prisma's packages do not.
    manifest.dependencies.xtend = "^4.0.2";
    const lockfile = JSON.parse(await readFile(path.join(repo.dir, "package-lock.json"), "utf8"));
    lockfile.packages[""].dependencies.xtend = "^4.0.2";
    await repo.commit({
      "package.json": JSON.stringify(manifest, null, 2),
      "package-lock.json": JSON.stringify(lockfile, null, 2),
    });
    const second = await deploySchemaStep("lockfilechange", repo.dir);
    const steps = second.record.steps;
    const installLog = steps.find((s) => s.name === "install")!.logTail ?? "";
    expect(installLog).toContain("node_modules not reused: package-lock.json changed");
    const buildLog = steps.find((s) => s.name === "build")!.logTail ?? "";
    expect(buildLog).toContain("Prisma client reused");
    expect(second.log).toContain(`schema unchanged since deployment ${first.record.id}`);
    expect(second.log).not.toMatch(PUSHED);
  });

  it("keeps the fingerprint the build left: the push's Prisma writes nothing of the release, and a file its config writes anyway makes the release unreusable", async () => {
    const reuse = async (id: string) =>
      checkReuse(stack.db, (await releaseSource(stack.db, id))!, ["checkout", "install", "build"]);
    const plain = await fixtureRepo("prisma-app");
    const { record } = await deploySchemaStep("fingerprinted", plain.dir);
    const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: record.id } });
    expect(row.releaseDigestStep).toBe("build");
    expect(await reuse(record.id)).toEqual({ ok: true });

    // The app's Prisma config runs in the push too (the worker's config wraps it): here it writes
    // a file into the release when it does, after the build's fingerprint was taken.
    const config = await readFile(path.join(plain.dir, "prisma.config.ts"), "utf8");
    const writing = await fixtureRepo("prisma-app", {
      "prisma.config.ts": `${config}\nimport { writeFileSync } from "node:fs";\nif (process.argv.includes("push")) writeFileSync("written-by-push.txt", "x");\n`,
    });
    const written = await deploySchemaStep("fingerprinted-writes", writing.dir);
    expect(written.log).toMatch(PUSHED);
    const releaseDir = (
      await stack.db.deployment.findUniqueOrThrow({ where: { id: written.record.id } })
    ).releaseDir!;
    expect(await readFile(path.join(releaseDir, "written-by-push.txt"), "utf8")).toBe("x");
    expect(await reuse(written.record.id)).toEqual({
      ok: false,
      reason: `its release directory ${releaseDir} has changed since build ended there`,
    });
  });

  it("generates the client again when the build changed the schema the push then applies", async () => {
    const plain = await fixtureRepo("prisma-app");
    const manifest = JSON.parse(await readFile(path.join(plain.dir, "package.json"), "utf8"));
    manifest.scripts.build = "cp full-schema.txt prisma/schema.prisma";
    const schemaText = await readFile(path.join(plain.dir, "prisma", "schema.prisma"), "utf8");
    const full = schemaText.replace(/^(\s*title\s+String\s*)$/m, "$1\n  summary String?");
    expect(full).toContain("summary String?");
    const repo = await fixtureRepo("prisma-app", {
      "package.json": JSON.stringify(manifest, null, 2),
      "full-schema.txt": full,
    });
    const { record, log } = await deploySchemaStep("assembled-schema", repo.dir);
    expect(log).toMatch(PUSHED);
    // The create script read beside the build was of the schema before it: read again here.
    expect(log).toContain(
      "the create script read during the build is not used: the schema, its config or Prisma changed since",
    );
    expect(log).toMatch(/\$ \S+\/node_modules\/\.bin\/prisma migrate diff --from-empty/);
    const buildLog = record.steps.find((s) => s.name === "build")!.logTail ?? "";
    expect(buildLog).toContain(
      "the build changed the Prisma schema or removed its client: generating it again",
    );
    const releaseDir = (await stack.db.deployment.findUniqueOrThrow({ where: { id: record.id } }))
      .releaseDir!;
    const types = await readFile(
      path.join(releaseDir, "node_modules", ".prisma", "client", "index.d.ts"),
      "utf8",
    );
    expect(types).toContain("summary: string | null");
    const { directUrl } = await ensureProjectDatabase(deps(), "assembled-schema");
    expect(
      await queryAt(
        directUrl,
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'Post' AND column_name = 'summary'`,
      ),
    ).toEqual([{ n: 1 }]);
  });

  it("stops a create script read beside the build that takes too long, and the build still ends", async () => {
    const plain = await fixtureRepo("prisma-app");
    const manifest = JSON.parse(await readFile(path.join(plain.dir, "package.json"), "utf8"));
    manifest.scripts.build = "exit 3";
    // A config that takes 30 s, for `migrate diff` only: the read-ahead is still running when
    // the build's first command (`prisma generate`) ends.
    const config = await readFile(path.join(plain.dir, "prisma.config.ts"), "utf8");
    const repo = await fixtureRepo("prisma-app", {
      "package.json": JSON.stringify(manifest, null, 2),
      "prisma.config.ts": `if (process.argv.includes("--from-empty")) { const end = Date.now() + 30_000; while (Date.now() < end); }\n${config}`,
    });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "failed-build", repoUrl: repo.dir }),
      240_000,
    );
    expect(record.status).toBe("failed");
    const build = record.steps.find((s) => s.name === "build")!;
    expect([build.status, record.steps.find((s) => s.name === "schema")?.status]).toEqual([
      "failed",
      "skipped",
    ]);
    // Stopped, not waited for: a few seconds' grace after the build's `prisma generate`.
    expect(build.durationMs).toBeLessThan(20_000);
    const stopped = stack.logs
      .map((line) => JSON.parse(line) as { msg?: string; step?: string; reason?: string })
      .filter((entry) => entry.msg === "read-ahead stopped; the step does it itself");
    expect(stopped).toContainEqual(expect.objectContaining({ step: "schema" }));
    const { directUrl } = await ensureProjectDatabase(deps(), "failed-build");
    expect(await queryAt(directUrl, `SELECT to_regclass('public."Post"') AS post`)).toEqual([
      { post: null },
    ]);
  });

  it("never skips a preStart: it runs on every deploy, and a push recorded before is forgotten", async () => {
    const repo = await fixtureRepo("prisma-app");
    const pushed = await deploySchemaStep("withprestart", repo.dir);
    expect(pushed.log).toMatch(/recorded the push/);

    const coduckJson = { preStart: "node -e \"console.log('preStart ran: ' + Date.now())\"" };
    await repo.commit({ "coduck.json": JSON.stringify(coduckJson) });
    for (let deploy = 0; deploy < 2; deploy++) {
      if (deploy > 0) await repo.commit({}, "redeploy");
      const { record, log } = await deploySchemaStep("withprestart", repo.dir);
      // The preStart, then the schema gate's own Prisma command.
      const command = record.steps.find((s) => s.name === "schema")!.command ?? "";
      expect(command.startsWith(`${coduckJson.preStart} && `)).toBe(true);
      expect(log).toMatch(/preStart ran: \d+/);
      expect(log).not.toMatch(/db push (?:runs|skipped)/);
    }
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "withprestart" } });
    expect(await stack.db.schemaPush.findUnique({ where: { projectId: project.id } })).toBeNull();

    // Without the preStart again: nothing is trusted from before it, the push runs.
    await repo.commit({ "coduck.json": "{}" });
    const after = await deploySchemaStep("withprestart", repo.dir);
    expect(after.log).toContain(
      "db push runs: no earlier push recorded for this project's database",
    );
  });
});
