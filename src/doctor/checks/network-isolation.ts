import { mkdir, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { runToEnd, sandboxFor } from "../../exec/sandbox.js";
import { type Check, fail, ok, warn } from "../check.js";

/** Run inside a box: tries a port the check opened on the host's loopback, prints the outcome. */
const PROBE = `const s = require("net").connect(Number(process.argv[1]), "127.0.0.1");
s.on("connect", () => { console.log("reached"); process.exit(0); });
s.on("error", (e) => { console.log("refused " + e.code); process.exit(0); });
setTimeout(() => { console.log("refused TIMEOUT"); process.exit(0); }, 5000);`;

/**
 * Whether a box has a network of its own: runs a command in one, as a deploy would, that tries
 * a port this check listens on at the host's 127.0.0.1 (where Redis, Postgres and the releases
 * listen). Fails when it gets through; warns while SANDBOX=off shares the host's network.
 */
export const networkIsolation: Check = {
  name: "network-isolation",
  async run(ctx) {
    if (ctx.config.sandbox === "off") {
      return warn(
        "SANDBOX=off: app commands share the host's network (Redis, Postgres, the worker's HTTP port, other releases)",
        "unset SANDBOX (its default is bwrap): each box then gets its own network namespace",
      );
    }
    const listener = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const { port } = listener.address() as net.AddressInfo;
    const scratch = await mkdtemp(path.join(os.tmpdir(), "coduck-doctor-network-"));
    try {
      const releaseDir = path.join(scratch, "releases", "doctor", "probe");
      await mkdir(releaseDir, { recursive: true });
      const box = await sandboxFor(
        ctx.config.sandbox,
        { dataDir: scratch, releaseDir, project: "doctor" },
        undefined,
        ctx.config.boxLimits,
      );
      if (!box) throw new Error("no sandbox");
      const result = await runToEnd(
        box,
        {
          file: process.execPath,
          args: ["-e", PROBE, String(port)],
          cwd: releaseDir,
          env: { PATH: "/usr/local/bin:/usr/bin:/bin" },
        },
        30_000,
      );
      const outcome = result.stdout.trim();
      if (outcome === "reached") {
        return fail(
          `a box reached 127.0.0.1:${port} on the host: app code shares the host's network`,
          "install slirp4netns (apt-get install slirp4netns) and run a worker whose boxes use --unshare-net",
        );
      }
      if (!outcome.startsWith("refused")) {
        const why = result.stderr.trim().split("\n").pop() || `exit ${result.exitCode}`;
        return fail(
          `could not run a command in a box: ${why}`,
          "run `coduck-worker doctor` as the worker's user; the sandbox check says what is missing",
        );
      }
      return ok(
        "each box has its own network: the host's loopback is out of reach; the internet through slirp4netns, the project's database through its bridges",
      );
    } catch (error) {
      return fail(
        `could not run a command in a box: ${(error as Error).message}`,
        "see the sandbox check: bubblewrap, setpriv and slirp4netns must be installed and working",
      );
    } finally {
      listener.close();
      await rm(scratch, { recursive: true, force: true });
    }
  },
};
