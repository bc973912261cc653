import { randomBytes, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { connectDb } from "../../src/store/prisma.js";
import { readLogLines } from "../../src/store/step-log-lines.js";
import { databaseUrl, onServer } from "../helpers/databases.js";

// The migration that stores a step's log a write at a time keeps every line stored before it.

const MIGRATIONS = path.resolve("prisma/migrations");
const CHUNKS = "20261201170000_step_log_chunks";

it("moves the lines stored one per row into chunks, every line with its seq, stream and time", async () => {
  const name = `coduck_test_migration_${randomBytes(4).toString("hex")}`;
  await onServer((c) => c.query(`CREATE DATABASE ${name}`));
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    const all = (await readdir(MIGRATIONS, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const migration = (dir: string) =>
      readFile(path.join(MIGRATIONS, dir, "migration.sql"), "utf8");
    for (const dir of all.filter((d) => d < CHUNKS)) await client.query(await migration(dir));

    const [project, deployment, step] = [randomUUID(), randomUUID(), randomUUID()];
    await client.query(`INSERT INTO "Project" (id, slug, "updatedAt") VALUES ($1, 'old', now())`, [
      project,
    ]);
    await client.query(
      `INSERT INTO "Deployment" (id, "projectId", "repoUrl", ref) VALUES ($1, $2, '/x', 'main')`,
      [deployment, project],
    );
    await client.query(
      `INSERT INTO "DeploymentStep" (id, "deploymentId", name, position) VALUES ($1, $2, 'build', 0)`,
      [step, deployment],
    );
    const old = [
      { seq: 0, stream: "stdout", line: "> build", at: "2026-11-30 10:00:00.123" },
      { seq: 1, stream: "stderr", line: "warning: it's 'quoted'", at: "2026-11-30 10:00:01.000" },
      { seq: 2, stream: "stdout", line: "", at: "2026-11-30 10:00:01.000" },
      {
        seq: 3,
        stream: "system",
        line: "[... 7 more lines not stored ...]",
        at: "2026-11-30 10:00:02",
      },
    ];
    for (const l of old) {
      await client.query(
        `INSERT INTO "StepLogLine" ("stepId", seq, at, stream, line) VALUES ($1, $2, $3, $4, $5)`,
        [step, l.seq, l.at, l.stream, l.line],
      );
    }

    await client.query(await migration(CHUNKS));

    const db = connectDb(databaseUrl(name));
    try {
      const lines = await readLogLines(db, step);
      expect(lines.map(({ seq, stream, line }) => ({ seq, stream, line }))).toEqual(
        old.map(({ seq, stream, line }) => ({ seq, stream, line })),
      );
      expect(lines[0]!.at.toISOString()).toBe("2026-11-30T10:00:00.123Z");
    } finally {
      await db.$disconnect();
    }
  } finally {
    await client.end();
    await onServer((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
});
