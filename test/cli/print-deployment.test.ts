import { formatDeployment } from "../../src/cli/print-deployment.js";
import { publicDeployment } from "../../src/deploys/public-deployment.js";
import { FAILURE_CODES } from "../../src/failures/codes.js";
import type { DeploymentRecord } from "../../src/store/deployment-record.js";

type StepRecord = DeploymentRecord["steps"][number];

function step(name: string, fields: Partial<StepRecord> = {}): StepRecord {
  return {
    name,
    status: "succeeded",
    command: null,
    exitCode: 0,
    signal: null,
    durationMs: 1200,
    errorCode: null,
    hint: null,
    evidence: null,
    evidenceLine: null,
    skipReason: null,
    logTail: null,
    startedAt: "2026-11-26T10:00:00.000Z",
    finishedAt: "2026-11-26T10:00:01.200Z",
    ...fields,
  };
}

function deployment(fields: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    id: "0b7c3a52-6a0e-4d1c-9a57-3f1f0c7f2a10",
    project: "blog",
    status: "succeeded",
    trigger: "cli",
    repoUrl: "https://git.example.com/blog.git",
    ref: "main",
    commitSha: "3b1b9f7c0d2e4f6a8b9c0d1e2f3a4b5c6d7e8f90",
    errorCode: null,
    hint: null,
    warnings: [],
    attempt: 1,
    sandbox: "bwrap",
    requestedBy: null,
    retryOf: null,
    rollbackTo: null,
    release: null,
    degraded: null,
    queuedAt: "2026-11-26T10:00:00.000Z",
    startedAt: "2026-11-26T10:00:00.100Z",
    finishedAt: "2026-11-26T10:00:09.000Z",
    steps: ["provision", "checkout", "install", "build", "schema", "start"].map((n) => step(n)),
    ...fields,
  };
}

const DESTRUCTIVE = FAILURE_CODES.DESTRUCTIVE_CHANGE_BLOCKED;

/** A deploy refused at schema because db push would drop a column with data. */
function refusedAtSchema(): DeploymentRecord {
  return deployment({
    status: "failed",
    errorCode: "DESTRUCTIVE_CHANGE_BLOCKED",
    hint: DESTRUCTIVE.hint,
    warnings: [
      "not deployed; deployment 5d1e0a9c-1111-4c2b-8f00-222233334444 (9f8e7d6c5b4a) is still live",
    ],
    steps: [
      step("provision"),
      step("checkout"),
      step("install"),
      step("build", { status: "skipped", durationMs: null, skipReason: "no build script" }),
      step("schema", {
        status: "failed",
        exitCode: 1,
        errorCode: "DESTRUCTIVE_CHANGE_BLOCKED",
        hint: DESTRUCTIVE.hint,
        evidence: [
          "⚠️  There might be data loss when applying the changes:",
          "• You are about to drop the column `title` on the `Post` table, which still contains 1 non-null values.",
        ].join("\n"),
        evidenceLine: 17,
      }),
      step("start", { status: "skipped", durationMs: null, skipReason: "not run: schema failed" }),
    ],
  });
}

describe("formatDeployment", () => {
  it("ends a failed deployment with a box: where, what, the evidence, the fix, what serves, retry", () => {
    const text = formatDeployment(refusedAtSchema());
    const lines = text.split("\n");
    const box = lines.slice(lines.findIndex((l) => l.startsWith("┌")));

    expect(box[0]).toBe(
      "┌ failed at schema: DESTRUCTIVE_CHANGE_BLOCKED ─ `prisma db push` refused a change that would",
    );
    expect(box[1]).toBe("│   lose data");
    expect(box[2]).toBe("│ evidence (log line 17):");
    expect(box[3]).toBe("│   ⚠️  There might be data loss when applying the changes:");
    expect(box[4]).toBe(
      "│   • You are about to drop the column `title` on the `Post` table, which still contains 1",
    );
    expect(box[5]).toBe("│     non-null values.");
    expect(box[6]).toMatch(/^│ fix: A destructive change \(dropping a column/);
    expect(box.at(-1)).toBe("└ retry: no (a retry cannot help)");
    expect(box.slice(-3, -1)).toEqual([
      "│ warning: not deployed; deployment 5d1e0a9c-1111-4c2b-8f00-222233334444 (9f8e7d6c5b4a) is still",
      "│          live",
    ]);
    // Every line of the box fits 96 columns, and its text is the whole hint, in order.
    for (const line of box) expect(line.length).toBeLessThanOrEqual(96);
    const fix = box
      .slice(
        6,
        box.findIndex((l) => l.startsWith("│ docs:")),
      )
      .map((l) => l.replace(/^│ (fix:)?\s*/, ""))
      .join(" ");
    expect(fix).toBe(DESTRUCTIVE.hint);
    // Shown once, in the box, not also in the header.
    expect(text).not.toMatch(/^ {2}(fix|warning|evidence) /m);
    expect(text).toMatch(/^ {2}status {4}failed \(DESTRUCTIVE_CHANGE_BLOCKED\)$/m);
    expect(text).toMatch(/^ {4}schema\s+failed\s+1\.2s DESTRUCTIVE_CHANGE_BLOCKED$/m);
  });

  it("links the docs section of a documented failure, and says when a retry can help", () => {
    const relation = formatDeployment(
      deployment({
        status: "failed",
        errorCode: "RELATION_DOES_NOT_EXIST",
        steps: [
          step("schema", {
            status: "failed",
            errorCode: "RELATION_DOES_NOT_EXIST",
            hint: FAILURE_CODES.RELATION_DOES_NOT_EXIST.hint,
            evidence:
              "table Post does not exist in the database, but prisma/schema.prisma declares it: preStart `npm run migrate` did not create it",
          }),
        ],
      }),
    );
    expect(relation).toContain("│ evidence:\n│   table Post does not exist in the database");
    expect(relation).toContain("│ docs: https://docs.coduck.ai/database#common-failures");

    const network = formatDeployment(
      deployment({
        status: "failed",
        errorCode: "NETWORK_ERROR",
        attempt: 3,
        steps: [
          step("install", {
            status: "failed",
            errorCode: "NETWORK_ERROR",
            evidence: "npm error code ECONNRESET",
            evidenceLine: 4,
          }),
        ],
      }),
    );
    expect(network).toMatch(/^└ retry: yes \(.*3 attempt/m);
    expect(network).toContain(`│ fix: ${FAILURE_CODES.NETWORK_ERROR.hint.slice(0, 40)}`);
  });

  it("keeps plain text: no colour, no control characters from the log", () => {
    const text = formatDeployment(
      deployment({
        status: "failed",
        errorCode: "BUILD_FAILED",
        steps: [
          step("build", {
            status: "failed",
            errorCode: "BUILD_FAILED",
            evidence: "\u001b[31merror\u001b[39m\tsomething\u0007 broke",
          }),
        ],
      }),
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what it checks is absent
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(text).toContain("│   [31merror[39m  something broke");
  });

  it("cuts a word longer than a line rather than overflowing", () => {
    const path = `/srv/app/${"very-long-directory-name/".repeat(8)}index.js`;
    const text = formatDeployment(
      deployment({
        status: "failed",
        errorCode: "MODULE_NOT_FOUND",
        steps: [step("start", { status: "failed", errorCode: "MODULE_NOT_FOUND", evidence: path })],
      }),
    );
    const lines = text.split("\n").filter((l) => l.startsWith("│   ") || l.startsWith("│     "));
    for (const line of text.split("\n").filter((l) => /^[┌│└]/.test(l)))
      expect(line.length).toBeLessThanOrEqual(96);
    expect(lines.map((l) => l.replace(/^│\s+/, "")).join("")).toContain(path);
  });

  it("shows no box for a successful deployment, and a degraded one's runtime failure", () => {
    const ok = formatDeployment(deployment());
    expect(ok).not.toMatch(/[┌│└]/);

    const degraded = formatDeployment(
      deployment({
        degraded: {
          code: "RELATION_DOES_NOT_EXIST",
          hint: FAILURE_CODES.RELATION_DOES_NOT_EXIST.hint,
          evidence: 'error: relation "users" does not exist',
          at: "2026-11-26T10:00:12.000Z",
        },
      }),
    );
    expect(degraded).toMatch(/^ {2}status {4}succeeded \(degraded: RELATION_DOES_NOT_EXIST\)$/m);
    const box = degraded.split("\n").filter((l) => /^[┌│└]/.test(l));
    expect(box[0]).toBe(
      "┌ degraded: RELATION_DOES_NOT_EXIST ─ A query hit a table that does not exist",
    );
    expect(box[1]).toBe("│ the live release logged, at 2026-11-26T10:00:12.000Z:");
    expect(box[2]).toBe('│   error: relation "users" does not exist');
    expect(box[3]).toMatch(/^│ fix: The database starts empty/);
    expect(box).toContain("│ docs: https://docs.coduck.ai/database#common-failures");
    expect(box.at(-1)).toBe("└ the release stays live: deploy the fix");
  });
});

describe("publicDeployment", () => {
  it("keeps its shape, adding degraded, the sandbox, where the deployment came from, and each step's evidence line", () => {
    const json = publicDeployment(refusedAtSchema());
    expect(Object.keys(json)).toEqual([
      "id",
      "project",
      "status",
      "commitSha",
      "errorCode",
      "hint",
      "warnings",
      "release",
      "degraded",
      "trigger",
      "attempt",
      "sandbox",
      "requestedBy",
      "retryOf",
      "rollbackTo",
      "steps",
    ]);
    expect(json.degraded).toBeNull();
    expect(json.steps[4]).toEqual({
      name: "schema",
      status: "failed",
      exitCode: 1,
      durationMs: 1200,
      errorCode: "DESTRUCTIVE_CHANGE_BLOCKED",
      evidence: expect.stringContaining("drop the column `title`"),
      evidenceLine: 17,
      skipReason: null,
    });
  });
});

describe("a retry's record", () => {
  const retried = deployment({
    trigger: "retry",
    requestedBy: "ops",
    retryOf: { id: "5d1e0a9c-1111-4c2b-8f00-222233334444", number: 2, fromStep: "build" },
  });

  it("says which deployment it retries, from which step, and who asked", () => {
    const text = formatDeployment(retried);
    expect(text).toContain("  trigger   retry (by ops)");
    expect(text).toContain("  retry     2 of 5d1e0a9c-1111-4c2b-8f00-222233334444, from build");
  });

  it("carries the same in its JSON", () => {
    expect(publicDeployment(retried)).toMatchObject({
      trigger: "retry",
      requestedBy: "ops",
      retryOf: { id: "5d1e0a9c-1111-4c2b-8f00-222233334444", number: 2, fromStep: "build" },
      rollbackTo: null,
    });
  });
});

describe("how a deployment's app code ran", () => {
  it("says so when it ran unsandboxed (SANDBOX=off), in text and JSON", () => {
    const off = deployment({ sandbox: "off" });
    expect(formatDeployment(off)).toContain(
      "  sandbox   off: app code ran unsandboxed, as the worker's user (SANDBOX=off)",
    );
    expect(publicDeployment(off).sandbox).toBe("off");
    expect(formatDeployment(deployment())).toContain("  sandbox   bwrap");
  });
});

describe("a live release in the terminal", () => {
  const release = {
    url: "http://shop.localhost:8088",
    upstream: "127.0.0.1:41234",
    port: 41234,
    pid: 4242,
    program: "release-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    startedAt: "2026-12-06T20:00:00.000Z",
    restarts: 3,
    lastExit: "exit status 1",
    lastRestartAt: "2026-12-06T20:05:00.000Z",
    crashedAt: null as string | null,
  };
  const degraded = {
    code: "START_CRASHED",
    hint: FAILURE_CODES.START_CRASHED.hint,
    evidence: "Error: boom",
    at: "2026-12-06T20:05:00.000Z",
  };

  it("says where it is served, what serves it and what supervisord did", () => {
    const text = formatDeployment(deployment({ status: "succeeded", release, degraded }));
    expect(text).toContain(
      "  release   http://shop.localhost:8088 → 127.0.0.1:41234, pid 4242, 3 restarts (last: exit status 1)",
    );
    expect(text).toContain("(degraded: START_CRASHED)");
    expect(text).toContain("└ the release stays live: deploy the fix");
  });

  it("says the project is down once supervisord gave up restarting it", () => {
    const crashed = { ...release, crashedAt: "2026-12-06T20:06:00.000Z" };
    const text = formatDeployment(deployment({ status: "succeeded", release: crashed, degraded }));
    expect(text).toContain("(crashed: START_CRASHED)");
    expect(text).toContain("; crashed at 2026-12-06T20:06:00.000Z");
    expect(text).toContain(
      "└ supervisord gave up restarting it: the project is down until the fix is deployed",
    );
  });
});
