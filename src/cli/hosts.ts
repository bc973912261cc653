import { type Config, HOST_ID_PATTERN } from "../config.js";
import { UsageError } from "../errors.js";
import { describeHostState, type HostView, listHosts, setHostIntent } from "../store/hosts.js";
import { connectDb } from "../store/prisma.js";

type Out = NodeJS.WritableStream;

/** `coduck-worker hosts list [--json]`: every host, its reported state, load and measures. */
export async function listHostsCommand(
  config: Config,
  options: { json?: boolean },
  out: Out,
): Promise<void> {
  const db = connectDb(config.databaseUrl);
  let hosts: HostView[];
  try {
    hosts = await listHosts(db, config.host.downAfterMs);
  } finally {
    await db.$disconnect();
  }
  if (options.json) {
    const rows = hosts.map((h) => ({
      id: h.id,
      state: h.state,
      intent: h.intent,
      downSince: h.downSince?.toISOString() ?? null,
      heartbeatAt: h.heartbeatAt?.toISOString() ?? null,
      startedAt: h.startedAt.toISOString(),
      address: h.address,
      projects: h.projects,
      maxProjects: h.maxProjects,
      diskFreeBytes: h.diskFreeBytes === null ? null : Number(h.diskFreeBytes),
      memoryAvailableBytes: h.memoryAvailableBytes === null ? null : Number(h.memoryAvailableBytes),
    }));
    out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (hosts.length === 0) {
    out.write(
      "no hosts yet: each worker registers its HOST_ID when it starts (coduck-worker start)\n",
    );
    return;
  }
  for (const h of hosts) {
    const state =
      describeHostState(h) + (h.state === "down" && h.intent === "draining" ? ", draining" : "");
    const columns = [
      h.id.padEnd(16),
      state.padEnd(12),
      `${h.projects}/${h.maxProjects} projects`.padEnd(18),
      `disk ${gib(h.diskFreeBytes)} free`.padEnd(18),
      `memory ${gib(h.memoryAvailableBytes)} free`.padEnd(20),
      h.address,
    ];
    out.write(`${columns.join("  ").trimEnd()}\n`);
  }
}

/** `coduck-worker hosts undrain H`: new projects are placed on H again (`hosts drain`: hosts-drain.ts). */
export async function undrainHostCommand(config: Config, host: string, out: Out): Promise<void> {
  if (!HOST_ID_PATTERN.test(host))
    throw new UsageError(`<host>: not a host id: ${JSON.stringify(host)}`);
  const db = connectDb(config.databaseUrl);
  try {
    const now = await setHostIntent(db, host, "up", config.host.downAfterMs);
    out.write(`host ${host} takes new projects again (${describeHostState(now)})\n`);
  } finally {
    await db.$disconnect();
  }
}

function gib(bytes: bigint | null): string {
  if (bytes === null) return "?";
  return `${(Number(bytes) / 2 ** 30).toFixed(1)} GiB`;
}
