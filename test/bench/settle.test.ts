import { execa } from "execa";
import { PACKAGE_ROOT } from "../../src/package-root.js";

// In a process of its own, as the bench child: what settle measures is the whole process.
const settleIn = (script: string) =>
  execa(process.execPath, ["--input-type=module", "-e", script], { cwd: PACKAGE_ROOT });

describe("settle (bench children)", () => {
  it("resolves true once the process is idle", async () => {
    const { stdout } = await settleIn(`
      import { settle } from "./bench/children/settle.mjs";
      console.log(await settle({ maxMs: 20_000 }));
    `);
    expect(stdout).toBe("true");
  });

  it("resolves false at its limit while the process keeps a CPU busy", async () => {
    const { stdout } = await settleIn(`
      import { settle } from "./bench/children/settle.mjs";
      let busy = true;
      const spin = () => {
        const until = performance.now() + 20;
        while (performance.now() < until);
        if (busy) setImmediate(spin);
      };
      spin();
      const settled = await settle({ maxMs: 500 });
      busy = false;
      console.log(settled);
    `);
    expect(stdout).toBe("false");
  });
});
