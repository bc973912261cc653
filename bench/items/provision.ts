import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { adminUrl } from "../../src/provisioning/admin-session.js";
import { projectDatabaseName } from "../../src/provisioning/names.js";
import {
  ensureProjectDatabase,
  provisionProject,
} from "../../src/provisioning/provision-project.js";
import { scramVerifier } from "../../src/provisioning/scram-verifier.js";
import { createTestStack } from "../../test/helpers/test-worker.js";
import { provisionSql } from "../baseline/provision-sql.js";
import { bareEnv } from "../lib/bare-env.js";
import { timed } from "../lib/processes.js";
import { atMost } from "../lib/report.js";
import { sideBySide } from "../lib/side-by-side.js";
import { pairedRatios, percentile, summarize } from "../lib/stats.js";
import type { BenchItem } from "./item.js";

/**
 * 3. Provisioning a new project (provisionProject) against psql running the same statements;
 * then the check every later deploy makes (ensureProjectDatabase's fast path) against a bare
 * connection and one query to the same database.
 */
export const provision: BenchItem = {
  id: 3,
  title: "provisioning a project",
  runs: { full: 10, smoke: 1 },
  async run(ctx) {
    const checksPerRound = ctx.smoke ? 5 : 50;
    const stack = await createTestStack();
    const deps = { db: stack.db, config: stack.config, keyring: stack.keyring };
    const sqlDir = await mkdtemp(path.join(os.tmpdir(), "coduck-bench-sql-"));
    const env = bareEnv(stack.config.adminDatabaseUrl);
    let n = 0;
    try {
      const viaWorker = async () => {
        const slug = `bench-provision-${n++}`;
        const started = performance.now();
        await provisionProject(deps, slug);
        return { ms: performance.now() - started, slug };
      };
      const bare = async () => {
        const name = projectDatabaseName(stack.config.projectDatabasePrefix, `bare-${n++}`);
        const file = path.join(sqlDir, `${name}.sql`);
        await writeFile(
          file,
          provisionSql({
            name,
            verifier: scramVerifier("a password the baseline never uses"),
            connectionLimit: stack.config.projectConnectionLimit,
            lookupSchema: stack.config.pgbouncer.lookupSchema,
          }),
        );
        const { seconds } = await timed("psql", ["-X", "-q", "-f", file], { env });
        return { ms: seconds * 1000, slug: name };
      };
      const results = await sideBySide(ctx.runs, viaWorker, bare);
      const worker = results.worker.map((r) => r.ms);
      const baseline = results.baseline.map((r) => r.ms);
      const ratio = summarize(pairedRatios(worker, baseline));

      // The already-provisioned check, against a bare connection + one query + end.
      const slug = results.worker.at(-1)!.slug;
      const database = projectDatabaseName(stack.config.projectDatabasePrefix, slug);
      const url = adminUrl(stack.config.adminDatabaseUrl, database);
      const checkRounds = { worker: [] as number[], baseline: [] as number[] };
      for (let round = 0; round < ctx.runs; round++) {
        const worker: number[] = [];
        const baseline: number[] = [];
        for (let i = 0; i < checksPerRound; i++) {
          let started = performance.now();
          const checked = await ensureProjectDatabase(deps, slug);
          worker.push(performance.now() - started);
          if (!checked.fastPath) throw new Error(`${slug} was provisioned again, not verified`);
          started = performance.now();
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          await client.query("SELECT 1");
          await client.end();
          baseline.push(performance.now() - started);
        }
        checkRounds.worker.push(percentile(worker, 50));
        checkRounds.baseline.push(percentile(baseline, 50));
      }
      const check = summarize(checkRounds.worker);
      return [
        {
          item: 3,
          measure: "provisioning a new project",
          worker: { summary: summarize(worker), unit: "ms" },
          baseline: { summary: summarize(baseline), unit: "ms" },
          ratio,
          target: atMost(1.3, ratio.median),
        },
        {
          item: 3,
          measure: `already-provisioned check p50 (${checksPerRound} per run) vs connect + SELECT 1`,
          worker: { summary: check, unit: "ms" },
          baseline: { summary: summarize(checkRounds.baseline), unit: "ms" },
          ratio: summarize(pairedRatios(checkRounds.worker, checkRounds.baseline)),
          target: atMost(10, check.median, " ms"),
        },
      ];
    } finally {
      await stack.close();
      await rm(sqlDir, { recursive: true, force: true });
      await rm(stack.env.DATA_DIR!, { recursive: true, force: true });
    }
  },
};
