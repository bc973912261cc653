import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { CaddyClient } from "../../src/router/caddy-client.js";
import { routeId } from "../../src/router/coduck-server.js";
import { ensureCaddy } from "../../src/router/ensure-caddy.js";
import { setRoute } from "../../src/router/set-route.js";
import { stopCaddy } from "../../src/router/stop-caddy.js";
import { type FakeRelease, fakeRelease, freePort } from "../../test/router/caddy-fixture.js";
import { sideBySide } from "../lib/side-by-side.js";
import { pairedRatios, percentile, summarize } from "../lib/stats.js";
import type { BenchItem } from "./item.js";

const PROJECT = "bench-router";
const HOST = `${PROJECT}.apps.test`;

/**
 * 7. The router (issue 21): a request's latency through our Caddy against the release directly
 * (p50 and p99 of sequential requests on one keep-alive connection, each side in turn), and the
 * swap: from setRoute's call to the first answer of the new release seen through Caddy, against
 * a bare PATCH of the route's upstreams (what Caddy itself takes to reload).
 */
export const router: BenchItem = {
  id: 7,
  title: "the router: latency through Caddy, and the swap",
  runs: { full: 6, smoke: 2 },
  async run(ctx) {
    const perRun = ctx.smoke ? 200 : 2_000;
    const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-bench-router-"));
    const httpPort = await freePort();
    const { client } = await ensureCaddy(dir, { httpPort, listenHost: "127.0.0.1" });
    const [a, b] = await Promise.all([fakeRelease("A", 0), fakeRelease("B", 0)]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await setRoute(client, { project: PROJECT, host: HOST, upstream: a.upstream });
      const direct = Number(a.upstream.split(":")[1]);
      ctx.progress(`latency: ${perRun} requests a side, ${ctx.runs} runs`);
      await timeRequests(agent, direct, "localhost", 100); // warm both paths up
      await timeRequests(agent, httpPort, HOST, 100);
      const latency = await sideBySide(
        ctx.runs,
        () => timeRequests(agent, httpPort, HOST, perRun),
        () => timeRequests(agent, direct, "localhost", perRun),
      );
      const p = (times: number[][], at: number) => times.map((run) => percentile(run, at));

      ctx.progress("swap: setRoute against a bare PATCH of the upstreams");
      let live = a;
      const next = () => (live = live === a ? b : a);
      const swaps = await sideBySide(
        ctx.runs,
        () => {
          const to = next();
          return timeSwap(httpPort, to, () =>
            setRoute(client, { project: PROJECT, host: HOST, upstream: to.upstream }),
          );
        },
        () => {
          const to = next();
          return timeSwap(httpPort, to, () => barePatch(client, to.upstream));
        },
      );
      const rows = [50, 99].map((at) => ({
        item: 7,
        measure: `p${at} of ${perRun} sequential requests: through Caddy vs the release directly`,
        worker: { summary: summarize(p(latency.worker, at)), unit: "ms" as const },
        baseline: { summary: summarize(p(latency.baseline, at)), unit: "ms" as const },
        ratio: summarize(pairedRatios(p(latency.worker, at), p(latency.baseline, at))),
      }));
      return [
        ...rows,
        {
          item: 7,
          measure:
            "swap: setRoute → first answer of the new release, vs a bare PATCH of its upstreams",
          worker: { summary: summarize(swaps.worker), unit: "ms" },
          baseline: { summary: summarize(swaps.baseline), unit: "ms" },
          ratio: summarize(pairedRatios(swaps.worker, swaps.baseline)),
          note: "Caddy reloads its whole config on every change; setRoute adds one GET of the routes before its PATCH",
        },
      ];
    } finally {
      agent.destroy();
      await stopCaddy(client);
      await Promise.all([a.close(), b.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** Milliseconds of each of `count` sequential GETs to 127.0.0.1:`port` with Host `host`. */
async function timeRequests(agent: http.Agent, port: number, host: string, count: number) {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const { status } = await get(agent, port, host);
    if (status !== 200) throw new Error(`GET through port ${port} answered ${status}`);
    times.push(performance.now() - started);
  }
  return times;
}

/** Milliseconds from calling `swap` to the first answer from `to` through Caddy. */
async function timeSwap(
  port: number,
  to: FakeRelease,
  swap: () => Promise<unknown>,
): Promise<number> {
  // A connection of its own per poll: a kept-alive one would be closed by the reload itself.
  const started = performance.now();
  const done = swap();
  for (;;) {
    const answer = await get(undefined, port, HOST).catch(() => undefined);
    if (answer?.body === to.name) break;
  }
  await done;
  return performance.now() - started;
}

function barePatch(client: CaddyClient, upstream: string): Promise<void> {
  return client.patch(`/id/${routeId(PROJECT)}/handle/0/upstreams`, [{ dial: upstream }]);
}

function get(agent: http.Agent | undefined, port: number, host: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.get(
      { host: "127.0.0.1", port, path: "/", headers: { Host: host }, agent: agent ?? false },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
  });
}
