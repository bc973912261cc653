import { spawn } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { groupMembers, processStartTicks } from "../../src/exec/process-identity.js";
import { stopAbandonedGroup } from "../../src/exec/stop-abandoned-group.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

/** A detached process group, as a step's command runs in: `sh -c <script>`. */
function group(script: string) {
  const child = spawn("sh", ["-c", script], {
    detached: true,
    stdio: ["ignore", "pipe", "ignore"],
  });
  child.unref();
  return child;
}

describe("stopAbandonedGroup", () => {
  it("leaves a group alone whose leader is another process than recorded (a recycled pid)", async () => {
    const child = group("exec sleep 30");
    const pid = child.pid!;
    const ticks = await waitFor(
      "the leader's start time",
      () => processStartTicks(pid) ?? false,
      10_000,
    );
    expect(await stopAbandonedGroup(pid, ticks + 1n)).toBe("not-ours");
    expect(processStartTicks(pid)).toBe(ticks);
    expect(await stopAbandonedGroup(pid, ticks)).toBe("killed");
    expect(groupMembers(pid)).toEqual([]);
    expect(await stopAbandonedGroup(pid, ticks)).toBe("gone");
  });

  it("kills what is left of a group whose leader already exited", async () => {
    // The leader waits for the test to have read its start time, then exits, leaving its
    // child behind: read later, a busy machine could find it gone already.
    const go = path.join(await tempDir("coduck-leader-"), "go");
    const child = group(`sleep 30 & echo $!; while [ ! -e '${go}' ]; do sleep 0.05; done`);
    const pgid = child.pid!;
    const ticks = await waitFor(
      "the leader's start time",
      () => processStartTicks(pgid) ?? false,
      10_000,
    );
    const member = Number(
      await new Promise<string>((resolve) => child.stdout!.once("data", resolve)),
    );
    await writeFile(go, "");
    await waitFor("the leader to exit", () => processStartTicks(pgid) === null, 10_000);
    await rm(go, { force: true });
    expect(groupMembers(pgid).map((p) => p.pid)).toEqual([member]);
    expect(await stopAbandonedGroup(pgid, ticks)).toBe("killed");
    expect(processStartTicks(member)).toBeNull();
  });
});
