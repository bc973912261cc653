import { Gauge, type Registry } from "prom-client";
import type { Db } from "../store/prisma.js";

/** The states a project's live release is reported in, each a series (1 for the current one). */
export const RELEASE_STATES = ["running", "crashed", "stopped"] as const;

/**
 * Each project's live release, read from Postgres at every scrape: its state (running; crashed:
 * supervisord gave up on it; stopped) and how many times supervisord restarted it.
 */
export function registerReleaseMetrics(registry: Registry, db: Db): void {
  const liveReleases = () =>
    db.project.findMany({
      where: { liveDeploymentId: { not: null } },
      select: {
        slug: true,
        liveDeployment: {
          select: { releaseRestarts: true, releaseCrashedAt: true, releaseStoppedAt: true },
        },
      },
    });

  new Gauge({
    name: "coduck_release_state",
    help: "Each project's live release: 1 for its current state (running, crashed, stopped), 0 for the others",
    labelNames: ["project", "state"],
    registers: [registry],
    async collect() {
      const projects = await liveReleases();
      this.reset();
      for (const { slug, liveDeployment: d } of projects) {
        if (!d) continue;
        const current = d.releaseCrashedAt ? "crashed" : d.releaseStoppedAt ? "stopped" : "running";
        for (const state of RELEASE_STATES)
          this.set({ project: slug, state }, state === current ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: "coduck_release_restarts",
    help: "Times supervisord restarted each project's live release",
    labelNames: ["project"],
    registers: [registry],
    async collect() {
      const projects = await liveReleases();
      this.reset();
      for (const { slug, liveDeployment: d } of projects)
        if (d) this.set({ project: slug }, d.releaseRestarts);
    },
  });
}
