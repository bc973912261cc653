import { readFile, statfs } from "node:fs/promises";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { heartbeatHost, registerHost } from "../store/hosts.js";
import type { Db } from "../store/prisma.js";

/** How often a worker says its host is alive (HOST_DOWN_AFTER_SECONDS is several of these). */
export const HEARTBEAT_MS = 5_000;

/**
 * Registers this worker's host (HOST_ID, HOST_ADDRESS, HOST_MAX_PROJECTS) and heartbeats it
 * every HEARTBEAT_MS with what it measured (free bytes under DATA_DIR, MemAvailable), until
 * stop(). A heartbeat that fails (the database away) is retried at the next tick; the host is
 * reported down only once heartbeats stop for HOST_DOWN_AFTER_SECONDS.
 */
export async function startHostHeartbeat(
  db: Db,
  config: Pick<Config, "host" | "dataDir">,
  logger: Logger,
  /** Run after each heartbeat (the worker reconciles its remote routes there); errors logged. */
  onBeat?: () => Promise<unknown>,
): Promise<{ stop(): void }> {
  await registerHost(db, config.host);
  let warnedAt = 0;
  let onBeatWarnedAt = 0;
  const beat = async () => {
    try {
      await heartbeatHost(db, config.host.id, await measure(config.dataDir));
    } catch (error) {
      if (Date.now() - warnedAt < 60_000) return;
      warnedAt = Date.now();
      logger.warn({ err: error, host: config.host.id }, "could not send the host's heartbeat");
    }
    try {
      await onBeat?.();
    } catch (error) {
      if (Date.now() - onBeatWarnedAt < 60_000) return;
      onBeatWarnedAt = Date.now();
      logger.error({ err: error, host: config.host.id }, "reconciling on the heartbeat failed");
    }
  };
  await beat();
  const timer = setInterval(() => void beat(), HEARTBEAT_MS);
  return { stop: () => clearInterval(timer) };
}

async function measure(
  dataDir: string,
): Promise<{ diskFreeBytes: bigint | null; memoryAvailableBytes: bigint | null }> {
  const disk = await statfs(dataDir, { bigint: true }).catch(() => null);
  const meminfo = await readFile("/proc/meminfo", "utf8").catch(() => "");
  const available = /^MemAvailable:\s+(\d+) kB/m.exec(meminfo);
  return {
    diskFreeBytes: disk ? disk.bavail * disk.bsize : null,
    memoryAvailableBytes: available ? BigInt(available[1]!) * 1024n : null,
  };
}
