import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { planRetries, planRetry } from "../../src/deploys/retry-deployment.js";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { releaseFingerprint } from "../../src/releases/release-fingerprint.js";
import type { Db } from "../../src/store/prisma.js";
import { connectTestDatabase } from "../helpers/databases.js";
import { tempDir } from "../helpers/temp-dir.js";

// `retry --all-failed` plans every listed deployment at once (planRetries): their rows and steps
// read together. Each plan must be the one `retry <id>` makes for that deployment alone.

let database: Awaited<ReturnType<typeof connectTestDatabase>>;
let db: Db;

beforeAll(async () => {
  database = await connectTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

const T0 = new Date("2026-11-01T12:00:00.000Z");

/**
 * A deployment of its own project that ended `status` at step `at` (the steps before it
 * succeeded, the rest skipped); with `release`, a release directory whose fingerprint was
 * recorded, as the step before `at` leaves it.
 */
async function ended(
  status: "failed" | "cancelled" | "succeeded",
  at: (typeof DEPLOY_STEP_NAMES)[number],
  options: { release?: boolean } = {},
): Promise<string> {
  const failedAt = DEPLOY_STEP_NAMES.indexOf(at);
  let release = {};
  if (options.release) {
    const dir = await tempDir("coduck-plan-retries-");
    await writeFile(path.join(dir, "server.js"), "// the app\n");
    release = {
      commitSha: "a".repeat(40),
      releaseDir: dir,
      releaseDigest: await releaseFingerprint(dir),
      releaseDigestStep: DEPLOY_STEP_NAMES[failedAt - 1],
    };
  }
  const { id } = await db.deployment.create({
    data: {
      project: { create: { slug: `plan-${randomUUID().slice(0, 8)}` } },
      repoUrl: "/r",
      ref: "main",
      status,
      errorCode: status === "failed" ? "BUILD_FAILED" : null,
      queuedAt: T0,
      finishedAt: T0,
      ...release,
      steps: {
        create: DEPLOY_STEP_NAMES.map((name, position) => ({
          name,
          position,
          status:
            status === "succeeded" || position < failedAt
              ? "succeeded"
              : position === failedAt
                ? status
                : "skipped",
          startedAt: position <= failedAt ? T0 : null,
        })),
      },
    },
  });
  return id;
}

describe("planRetries", () => {
  it("plans each deployment as planRetry plans it alone, in the order given", async () => {
    const reusing = await ended("failed", "build", { release: true });
    const afterSchema = await ended("failed", "start", { release: true });
    const noRelease = await ended("failed", "install");
    const cancelled = await ended("cancelled", "checkout");
    const ids = [cancelled, reusing, afterSchema, noRelease];

    const alone = [];
    for (const deploymentId of ids) alone.push(await planRetry(db, { deploymentId }));
    const together = await planRetries(db, ids);
    expect(together).toEqual(alone);
    expect(together.map((plan) => plan.retryOf.id)).toEqual(ids);
    // Both ways of planning were exercised: reusing a release (schema too), and not.
    expect(together[1]).toMatchObject({ fromStep: "build", reused: ["checkout", "install"] });
    expect(together[2]).toMatchObject({
      fromStep: "start",
      reused: ["checkout", "install", "build", "schema"],
    });
    expect(together[3]).toMatchObject({ fromStep: "checkout", reused: [] });
    expect(together[3]!.notReused).toContain("recorded no release directory");
  });

  it("refuses what planRetry refuses: a deployment not there, one that did not fail, not an id", async () => {
    const failed = await ended("failed", "build");
    const succeeded = await ended("succeeded", "start");
    const missing = randomUUID();
    await expect(planRetries(db, [failed, missing])).rejects.toMatchObject({
      reason: "not-found",
      message: `no deployment ${missing}`,
    });
    await expect(planRetries(db, [succeeded])).rejects.toMatchObject({ reason: "conflict" });
    await expect(planRetries(db, [failed, "1' OR TRUE --"])).rejects.toMatchObject({
      reason: "invalid",
    });
  });

  it("plans nothing for no deployments", async () => {
    expect(await planRetries(db, [])).toEqual([]);
  });
});
