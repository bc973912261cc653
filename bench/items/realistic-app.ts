import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { freePort } from "../../src/releases/free-port.js";
import type { Db } from "../../src/store/prisma.js";
import { createTestStack } from "../../test/helpers/test-worker.js";
import { bareEnv } from "../lib/bare-env.js";
import { DeploymentPoller } from "../lib/deployment-poller.js";
import { type EndedDeployment, stopReleases, waitForEnd } from "../lib/deployments.js";
import { BENCH_DIR, timed } from "../lib/processes.js";
import { atMost, type Row } from "../lib/report.js";
import { pairedRatios, summarize } from "../lib/stats.js";
import { phases, stepComparison } from "./deploy-one.js";
import type { BenchItem } from "./item.js";

const DEPLOY_APP_SH = path.join(BENCH_DIR, "baseline", "deploy-app.sh");
const APP = path.join(BENCH_DIR, "apps", "ledger");
const LOCKFILE_CHANGE = path.join(BENCH_DIR, "apps", "ledger-lockfile-change");
const GIT_ENV = {
  GIT_AUTHOR_NAME: "CoDuck Bench",
  GIT_AUTHOR_EMAIL: "bench@coduck.invalid",
  GIT_COMMITTER_NAME: "CoDuck Bench",
  GIT_COMMITTER_EMAIL: "bench@coduck.invalid",
};

/**
 * 10. A realistic app (bench/apps/ledger: fastify, Prisma 6.19 with the JS engine, a TypeScript
 * build, 246 packages) through the worker, against deploy-app.sh doing the same commands. Each
 * run takes a new project through three deploys: its first (npm ci from the shared package
 * store, against the script's npm ci from its warm ~/.npm), a code-only redeploy (node_modules
 * reused, tsc incremental from the kept build cache; measured against the project's own first
 * deploy), and a redeploy whose lockfile gained a package (installed again; against the script).
 * A warm-up deploy on each side first fills the shared store and ~/.npm: the same cache state.
 * --smoke runs the worker's first deploy and code-only redeploy once, no script.
 */
export const realisticApp: BenchItem = {
  id: 10,
  title: "a realistic app (bench/apps/ledger): first deploy, code-only and lockfile redeploys",
  runs: { full: 3, smoke: 1 },
  async run(ctx) {
    // The machine is shared: the 1-minute load average at the start and the end says how much.
    const loadAtStart = os.loadavg()[0]!;
    const stack = await createTestStack({ WORKER_CONCURRENCY: "1" });
    const scratch = await mkdtemp(path.join(os.tmpdir(), "coduck-bench-ledger-"));
    const poller = await DeploymentPoller.connect(stack.config.databaseUrl);
    let n = 0;
    try {
      await stack.startWorker();
      const env = bareEnv(stack.config.adminDatabaseUrl);
      const deploy = async (project: string, repo: string): Promise<EndedDeployment> => {
        const started = Date.now();
        const id = await stack.deploy({ project, repoUrl: repo });
        const [end] = await waitForEnd(stack.db, poller, [id]);
        await stopReleases([end!]);
        if (end!.failure) throw new Error(end!.failure);
        const saved = await nodeModulesSaveMs(stack.db, id);
        const timed =
          saved === null ? [] : [{ name: "of which node_modules save", durationMs: saved }];
        return { ...end!, steps: [...end!.steps, ...timed], queuedAt: new Date(started) };
      };
      const ms = (end: EndedDeployment) => end.finishedAt.getTime() - end.queuedAt.getTime();
      const steps = (end: EndedDeployment) =>
        Object.fromEntries(end.steps.map((s) => [s.name, s.durationMs]));

      const viaWorker = async () => {
        const repo = await ledgerRepo(scratch, n);
        const project = `bench-ledger-${n++}`;
        const first = await deploy(project, repo);
        await commit(repo, { "src/version.ts": 'export const VERSION = "2";\n' });
        const codeOnly = await deploy(project, repo);
        let lockfile: EndedDeployment | null = null;
        if (!ctx.smoke) {
          await cp(LOCKFILE_CHANGE, repo, { recursive: true });
          await commit(repo, {});
          lockfile = await deploy(project, repo);
        }
        return { first, codeOnly, lockfile };
      };
      const bare = async () => {
        const repo = await ledgerRepo(scratch, n);
        const name = `${stack.config.projectDatabasePrefix}_bare_${n++}`;
        const run = async () => {
          const port = await freePort();
          const dir = path.join(scratch, `${name}-${n++}`);
          const { seconds, stdout } = await timed(
            "bash",
            [DEPLOY_APP_SH, repo, dir, name, String(port)],
            { env },
          );
          return { ms: seconds * 1000, steps: phases(stdout) };
        };
        const first = await run();
        await cp(LOCKFILE_CHANGE, repo, { recursive: true });
        await commit(repo, {});
        const lockfile = await run();
        return { first, lockfile };
      };

      if (ctx.smoke) {
        const { first, codeOnly } = await viaWorker();
        return [
          {
            item: 10,
            measure: "ledger: code-only redeploy ÷ its first deploy (smoke: worker only)",
            worker: { summary: summarize([ms(codeOnly) / ms(first)]), unit: "count" },
            target: atMost(0.35, ms(codeOnly) / ms(first)),
            note: `first ${ms(first)} ms, code-only ${ms(codeOnly)} ms; ms per step, code-only / first: ${stepComparison(
              [{ steps: steps(codeOnly) }],
              [{ steps: steps(first) }],
            )}`,
          },
        ];
      }
      ctx.progress("warm-up: one deploy each (fills the shared package store and ~/.npm)");
      await viaWorker();
      await bare();
      // Alternating which side goes first (ABBA…), as lib/side-by-side does.
      const results = {
        worker: [] as Awaited<ReturnType<typeof viaWorker>>[],
        baseline: [] as Awaited<ReturnType<typeof bare>>[],
      };
      for (let run = 0; run < ctx.runs; run++) {
        const worker = async () => {
          ctx.progress(`run ${run + 1}/${ctx.runs}: worker (first, code-only, lockfile)`);
          results.worker.push(await viaWorker());
        };
        const script = async () => {
          ctx.progress(`run ${run + 1}/${ctx.runs}: deploy-app.sh (first, lockfile)`);
          results.baseline.push(await bare());
        };
        if (run % 2 === 0) await worker().then(script);
        else await script().then(worker);
      }
      const firstW = results.worker.map((r) => ms(r.first));
      const firstB = results.baseline.map((r) => r.first.ms);
      const codeOnly = results.worker.map((r) => ms(r.codeOnly));
      const lockW = results.worker.map((r) => ms(r.lockfile!));
      const lockB = results.baseline.map((r) => r.lockfile.ms);
      const firstRatio = summarize(pairedRatios(firstW, firstB));
      const codeRatio = summarize(pairedRatios(codeOnly, firstW));
      const lockRatio = summarize(pairedRatios(lockW, lockB));
      const rows: Row[] = [
        {
          item: 10,
          measure: "ledger: first deploy (wall)",
          worker: { summary: summarize(firstW), unit: "ms" },
          baseline: { summary: summarize(firstB), unit: "ms" },
          ratio: firstRatio,
          target: atMost(1.1, firstRatio.median),
          note: `load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end; median ms per step, worker / script: ${stepComparison(
            results.worker.map((r) => ({ steps: steps(r.first) })),
            results.baseline.map((r) => ({ steps: r.first.steps })),
          )}`,
        },
        {
          item: 10,
          measure: "ledger: code-only redeploy ÷ its own first deploy",
          worker: { summary: summarize(codeOnly), unit: "ms" },
          baseline: { summary: summarize(firstW), unit: "ms" },
          ratio: codeRatio,
          target: atMost(0.35, codeRatio.median),
          note: `baseline column: the worker's own first deploys; median ms per step, code-only / first: ${stepComparison(
            results.worker.map((r) => ({ steps: steps(r.codeOnly) })),
            results.worker.map((r) => ({ steps: steps(r.first) })),
          )}`,
        },
        {
          item: 10,
          measure: "ledger: redeploy with a changed lockfile (wall)",
          worker: { summary: summarize(lockW), unit: "ms" },
          baseline: { summary: summarize(lockB), unit: "ms" },
          ratio: lockRatio,
          target: atMost(1.1, lockRatio.median),
          note: `median ms per step, worker / script: ${stepComparison(
            results.worker.map((r) => ({ steps: steps(r.lockfile!) })),
            results.baseline.map((r) => ({ steps: r.lockfile.steps })),
          )}`,
        },
      ];
      return rows;
    } finally {
      await poller.close();
      await stack.close();
      await rm(scratch, { recursive: true, force: true });
      await rm(stack.env.DATA_DIR!, { recursive: true, force: true });
    }
  },
};

/**
 * How long the install step spent keeping node_modules for reuse (node-modules-cache.ts: moved
 * into the cache and linked back, or copied), from the line it writes: "node_modules cached for
 * … (moved and linked back, 277.5 MB, 0.6 s)". Null when it kept nothing (a reuse, or over the limit).
 */
async function nodeModulesSaveMs(db: Db, deploymentId: string): Promise<number | null> {
  const step = await db.deploymentStep.findFirst({
    where: { deploymentId, name: "install" },
    select: { logTail: true },
  });
  const match =
    /node_modules cached for .*\((?:copied|moved and linked back), [\d.]+ MB, ([\d.]+) s\)/.exec(
      step?.logTail ?? "",
    );
  return match ? Math.round(Number(match[1]) * 1000) : null;
}

/** bench/apps/ledger (its source, no node_modules or build output) in a fresh git repository. */
async function ledgerRepo(scratch: string, n: number): Promise<string> {
  const dir = path.join(scratch, `repo-${n}`);
  await cp(APP, dir, {
    recursive: true,
    filter: (source) => !/[/\\](node_modules|dist)$|\.tsbuildinfo$/.test(source),
  });
  await execa("git", ["init", "--quiet", "--initial-branch=main"], { cwd: dir });
  await commit(dir, {});
  return dir;
}

async function commit(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files))
    await writeFile(path.join(dir, name), content);
  await execa("git", ["add", "--all"], { cwd: dir });
  await execa("git", ["commit", "--quiet", "--allow-empty", "-m", "bench"], {
    cwd: dir,
    env: GIT_ENV,
  });
}
