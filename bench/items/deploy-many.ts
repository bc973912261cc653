import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../src/releases/free-port.js";
import { createTestStack, type TestStack } from "../../test/helpers/test-worker.js";
import { bareEnv } from "../lib/bare-env.js";
import { DeploymentPoller } from "../lib/deployment-poller.js";
import { type EndedDeployment, stopReleases, waitForEnd } from "../lib/deployments.js";
import { helloRepo } from "../lib/hello-repo.js";
import { machineCpuSeconds } from "../lib/machine-cpu.js";
import { BENCH_DIR, timed } from "../lib/processes.js";
import { atMost } from "../lib/report.js";
import { sideBySide } from "../lib/side-by-side.js";
import { pairedRatios, percentile, summarize } from "../lib/stats.js";
import type { BenchItem } from "./item.js";

const DEPLOY_SH = path.join(BENCH_DIR, "baseline", "deploy.sh");
const CONCURRENCY = 4;
const FEED_POLL_MS = 20;

/**
 * 2. Many deploys over several projects through one worker with WORKER_CONCURRENCY=4, against
 * deploy.sh run by `xargs -P 4` (with `flock` per project, as the worker's project lanes).
 * Deploys are submitted round-robin over the projects; a project's next deploy is submitted as
 * soon as its previous one has started, since the worker (rightly) supersedes a deploy still
 * queued when a newer one of its project arrives, and both sides must do all the deploys.
 */
export const deployMany: BenchItem = {
  id: 2,
  title: "many deploys, worker concurrency 4",
  // One run of 100 deploys a side takes minutes here; its pickup figures are over 100 deploys.
  runs: { full: 1, smoke: 1 },
  async run(ctx) {
    const deploys = ctx.smoke ? 4 : 100;
    const projects = ctx.smoke ? 2 : 20;
    const stack = await createTestStack({ WORKER_CONCURRENCY: String(CONCURRENCY) });
    const repo = await helloRepo();
    const bareDir = await mkdtemp(path.join(os.tmpdir(), "coduck-bench-bare-"));
    const poller = await DeploymentPoller.connect(stack.config.databaseUrl);
    try {
      await stack.startWorker();
      const env = bareEnv(stack.config.adminDatabaseUrl);

      const viaWorker = async (run: number) => {
        const cpu = process.cpuUsage();
        const machineCpu = await machineCpuSeconds();
        const started = Date.now();
        const ids = await feed(stack, poller, repo.dir, run, deploys, projects);
        const ended = await waitForEnd(stack.db, poller, ids);
        const failures = await redeployFailed(stack, poller, repo.dir, ended);
        const machineSeconds = (await machineCpuSeconds()) - machineCpu;
        const { user, system } = process.cpuUsage(cpu);
        await stopReleases(ended);
        const last = Math.max(...ended.map((d) => d.finishedAt.getTime()));
        return {
          ms: last - started,
          machineSeconds,
          workerMsPerDeploy: (user + system) / 1000 / ended.length,
          pickup: ended.map((d) => d.firstStepAt!.getTime() - d.queuedAt.getTime()),
          handoff: handoffs(ended),
          failures,
        };
      };
      const bare = async (run: number) => {
        const lines: string[] = [];
        for (let i = 0; i < deploys; i++) {
          const name = `${stack.config.projectDatabasePrefix}_bare_r${run}_${i % projects}`;
          const port = await freePort();
          const lock = path.join(bareDir, `${name}.lock`);
          const dir = path.join(bareDir, `r${run}-${i}`);
          lines.push([lock, "bash", DEPLOY_SH, repo.dir, dir, name, port].join(" "));
        }
        const list = path.join(bareDir, `r${run}.list`);
        await writeFile(list, `${lines.join("\n")}\n`);
        const machineCpu = await machineCpuSeconds();
        const { seconds } = await timed(
          "xargs",
          ["-P", String(CONCURRENCY), "-L", "1", "-a", list, "flock"],
          { env },
        );
        const machineSeconds = (await machineCpuSeconds()) - machineCpu;
        return {
          ms: seconds * 1000,
          machineSeconds,
          workerMsPerDeploy: 0,
          pickup: [],
          handoff: [],
          failures: [],
        };
      };

      const results = await sideBySide(
        ctx.runs,
        async (run) => {
          ctx.progress(`run ${run + 1}/${ctx.runs}: worker, ${deploys} deploys`);
          return viaWorker(run);
        },
        async (run) => {
          ctx.progress(`run ${run + 1}/${ctx.runs}: xargs -P ${CONCURRENCY} deploy.sh`);
          return bare(run);
        },
      );
      const worker = results.worker.map((r) => r.ms);
      const baseline = results.baseline.map((r) => r.ms);
      const ratio = summarize(pairedRatios(worker, baseline));
      const workerCpu = results.worker.map((r) => r.machineSeconds);
      const baselineCpu = results.baseline.map((r) => r.machineSeconds);
      const failures = results.worker.flatMap((r) => r.failures);
      const perRun = (pick: (r: (typeof results.worker)[number]) => number) =>
        summarize(results.worker.map(pick));
      return [
        {
          item: 2,
          measure: `${deploys} deploys over ${projects} projects (wall)`,
          worker: { summary: summarize(worker), unit: "ms" },
          baseline: { summary: summarize(baseline), unit: "ms" },
          ratio,
          target: atMost(1.25, ratio.median),
          note: failures.length
            ? `${failures.length} of the worker's deploys failed and were deployed again (counted in the wall time): ${[...new Set(failures.map((f) => f.replace(/^deployment \S+ /, "")))].join("; ")}`
            : undefined,
        },
        {
          item: 2,
          measure: "the same: CPU time of the whole machine (/proc/stat) during the run",
          worker: { summary: summarize(workerCpu), unit: "s" },
          baseline: { summary: summarize(baselineCpu), unit: "s" },
          ratio: summarize(pairedRatios(workerCpu, baselineCpu)),
        },
        {
          item: 2,
          measure: "the worker process's own CPU per deploy (process.cpuUsage ÷ deploys)",
          worker: { summary: perRun((r) => r.workerMsPerDeploy), unit: "ms" },
        },
        {
          item: 2,
          measure: "pickup latency p50 (enqueue → first step)",
          worker: { summary: perRun((r) => percentile(r.pickup, 50)), unit: "ms" },
        },
        {
          item: 2,
          measure: "pickup latency p99 (enqueue → first step)",
          worker: { summary: perRun((r) => percentile(r.pickup, 99)), unit: "ms" },
        },
        {
          item: 2,
          measure: "slot handoff p50 (a deploy ends → the next one's first step)",
          worker: { summary: perRun((r) => percentile(r.handoff, 50)), unit: "ms" },
        },
        {
          item: 2,
          measure: "slot handoff p99",
          worker: { summary: perRun((r) => percentile(r.handoff, 99)), unit: "ms" },
          note: "pickup latency includes the wait for one of the 4 slots; slot handoff is the worker's own share: from the latest end of another deploy (or the enqueue, if later) to the first step",
        },
      ];
    } finally {
      await poller.close();
      await stack.close();
      await repo.remove();
      await rm(bareDir, { recursive: true, force: true });
      await rm(stack.env.DATA_DIR!, { recursive: true, force: true });
    }
  },
};

/**
 * Submits the deploys round-robin over the projects, each project's next one as soon as its
 * previous one has left the queue (so that none is superseded). Returns all their ids.
 */
async function feed(
  stack: TestStack,
  poller: DeploymentPoller,
  repoUrl: string,
  run: number,
  deploys: number,
  projects: number,
): Promise<string[]> {
  const ids: string[] = [];
  const latest = new Map<number, string>();
  while (ids.length < deploys) {
    const waiting = await poller.queued([...latest.values()]);
    let submitted = false;
    for (let i = ids.length; i < deploys; i++) {
      const project = i % projects;
      const previous = latest.get(project);
      if (previous && waiting.has(previous)) break; // keep the round-robin order
      const id = await stack.deploy({ project: `bench-many-r${run}-${project}`, repoUrl });
      ids.push(id);
      latest.set(project, id);
      waiting.add(id);
      submitted = true;
    }
    if (!submitted) await sleep(FEED_POLL_MS);
  }
  return ids;
}

/**
 * For each deploy, how long its first step started after a slot became free: after the latest
 * end of another deploy that ended before it started, or after its enqueue if that was later.
 */
function handoffs(ended: readonly EndedDeployment[]): number[] {
  const ends = ended.map((d) => d.finishedAt.getTime()).sort((a, b) => a - b);
  return ended.flatMap((d) => {
    const start = d.firstStepAt!.getTime();
    const freed = ends.filter((end) => end <= start).at(-1);
    if (freed === undefined) return []; // started in the first wave, with slots free
    return [start - Math.max(freed, d.queuedAt.getTime())];
  });
}

/**
 * Deploys again, as its user would, each deploy that failed (see RESULTS.md: concurrent first
 * deploys can fail provisioning), one per project at a time so that none supersedes another,
 * so that both sides end up doing every deploy; the time that takes counts. Adds the new
 * deploys to `ended` and returns what failed.
 */
async function redeployFailed(
  stack: TestStack,
  poller: DeploymentPoller,
  repoUrl: string,
  ended: EndedDeployment[],
): Promise<string[]> {
  const failures: string[] = [];
  const handled = new Set<string>();
  for (let round = 0; round < 5; round++) {
    const failed = ended.filter((d) => d.failure && !handled.has(d.id));
    if (failed.length === 0) return failures;
    const superseded = failed.find((d) => d.status === "superseded");
    if (superseded) throw new Error(`the benchmark let a deploy be superseded: ${superseded.id}`);
    const perProject = new Map(failed.map((d) => [d.project, d]));
    const again: string[] = [];
    for (const d of perProject.values()) {
      handled.add(d.id);
      failures.push(d.failure!);
      again.push(await stack.deploy({ project: d.project, repoUrl }));
    }
    ended.push(...(await waitForEnd(stack.db, poller, again)));
  }
  throw new Error(`deploys kept failing: ${failures.join("; ")}`);
}
