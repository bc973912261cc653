import { Gauge, type Registry } from "prom-client";
import { HOST_INTENTS, listHosts } from "../store/hosts.js";
import type { Db } from "../store/prisma.js";

/**
 * Each registered host, read from Postgres at every scrape (store/hosts.ts computes the state):
 * `coduck_host_up` (0 when its heartbeat is older than HOST_DOWN_AFTER_SECONDS; its projects'
 * jobs then wait in `deploys@<host>`, counted by coduck_queue_jobs), whether it is draining, and
 * how many projects live on it.
 */
export function registerHostMetrics(registry: Registry, db: Db, downAfterMs: number): void {
  let scrape: ReturnType<typeof listHosts> | null = null;
  // One read per scrape for the three gauges (each collect() asks; the first read is shared).
  const hosts = () => {
    scrape ??= listHosts(db, downAfterMs).finally(() => {
      setImmediate(() => {
        scrape = null;
      });
    });
    return scrape;
  };
  new Gauge({
    name: "coduck_host_up",
    help: "1 while a host's worker sends its heartbeat, 0 once it is down (no heartbeat for HOST_DOWN_AFTER_SECONDS)",
    labelNames: ["host"],
    registers: [registry],
    async collect() {
      const all = await hosts();
      this.reset();
      for (const host of all) this.set({ host: host.id }, host.state === "down" ? 0 : 1);
    },
  });
  new Gauge({
    name: "coduck_host_draining",
    help: `1 for a host an operator drains (hosts drain: no new projects placed there); states: ${HOST_INTENTS.join(", ")}`,
    labelNames: ["host"],
    registers: [registry],
    async collect() {
      const all = await hosts();
      this.reset();
      for (const host of all) this.set({ host: host.id }, host.intent === "draining" ? 1 : 0);
    },
  });
  new Gauge({
    name: "coduck_host_projects",
    help: "Projects placed on each host",
    labelNames: ["host"],
    registers: [registry],
    async collect() {
      const all = await hosts();
      this.reset();
      for (const host of all) this.set({ host: host.id }, host.projects);
    },
  });
}
