import { execa, type ResultPromise } from "execa";
import { Redis } from "ioredis";
import { freePort } from "../../src/releases/free-port.js";
import { tempDir } from "./temp-dir.js";
import { waitFor } from "./wait-for.js";

export type PrivateRedis = {
  url: string;
  port: number;
  /** Stops the server and starts an empty one on the same port (no persistence: data is gone). */
  restartEmpty(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * A redis-server of the test's own on a free port, without persistence, that the test may
 * restart or stop (never the shared one), with whatever settings the test needs (a
 * misconfigured one, for doctor).
 */
export async function startPrivateRedis(settings: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  // Its own directory, for settings that write files (--appendonly yes).
  const dir = await tempDir("coduck-redis-");
  let server: ResultPromise | null = null;
  const start = async () => {
    server = execa(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        ...settings,
      ],
      { reject: false, stdio: "ignore" },
    );
    await waitFor(`redis-server on port ${port}`, () => ping(port), 15_000);
  };
  const stop = async () => {
    server?.kill("SIGKILL");
    await server;
    server = null;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restartEmpty() {
      await stop();
      await start();
    },
    stop,
  };
}

async function ping(port: number): Promise<boolean> {
  const client = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
