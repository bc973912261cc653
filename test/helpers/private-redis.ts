import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { freePort } from "../../src/releases/free-port.js";

export type PrivateRedis = { url: string; port: number; stop(): Promise<void> };

/**
 * A redis-server of the test's own on a free port (never the shared one), with whatever
 * settings the test needs, for tests that stop Redis or need it misconfigured.
 */
export async function startPrivateRedis(settings: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-redis-"));
  const child = execa(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, ...settings],
    { reject: false, stdio: "ignore" },
  );
  for (let i = 0; ; i++) {
    const ping = await execa("redis-cli", ["-p", String(port), "ping"], { reject: false });
    if (ping.stdout === "PONG") break;
    if (child.exitCode !== null || i > 100)
      throw new Error(`redis-server on ${port} did not start`);
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await child;
    },
  };
}
