import { cpuWeight } from "../../src/exec/box-cgroup.js";
import { checkedLimits, DEFAULT_LIMITS, outOfMemoryLine } from "../../src/exec/resource-limits.js";
import { classifyLog } from "../../src/failures/classify.js";

const MiB = 1024 * 1024;

describe("resource limits", () => {
  it("takes the defaults and any whole limits a box can start under", () => {
    expect(checkedLimits(DEFAULT_LIMITS)).toEqual(DEFAULT_LIMITS);
    const small = { memoryBytes: 64 * MiB, pids: 16, cpuShares: 2 };
    expect(checkedLimits(small)).toEqual(small);
  });

  it("refuses a limit the kernel would not take or a box could not start under, naming it", () => {
    const refused: [Partial<typeof DEFAULT_LIMITS>, RegExp][] = [
      [{ memoryBytes: 63 * MiB }, /^memory limit 66060288: .*at least 64 MiB/],
      [{ memoryBytes: 100 * MiB + 0.5 }, /^memory limit/],
      [{ memoryBytes: Number.NaN }, /^memory limit/],
      [{ pids: 15 }, /^process limit 15/],
      [{ pids: 100.5 }, /^process limit/],
      [{ cpuShares: 1 }, /^cpu shares 1: .*from 2 to 262144/],
      [{ cpuShares: 262_145 }, /^cpu shares 262145/],
    ];
    for (const [change, message] of refused)
      expect(() => checkedLimits({ ...DEFAULT_LIMITS, ...change })).toThrow(message);
  });

  it("gives cgroup v2 the weight that corresponds to v1's shares, defaults to defaults", () => {
    expect(cpuWeight(1024)).toBe(100);
    expect(cpuWeight(512)).toBe(50);
    expect(cpuWeight(2)).toBe(1);
    expect(cpuWeight(262_144)).toBe(10_000);
  });

  it("writes the out-of-memory line the classifier reads, the limit in it", async () => {
    const line = outOfMemoryLine({ ...DEFAULT_LIMITS, memoryBytes: 1536 * MiB });
    expect(line).toBe("box: out of memory: killed at the 1536 MiB limit");
    const result = await classifyLog({
      step: "install",
      exitCode: 1,
      log: ["added 12 packages", line],
    });
    expect(result.code).toBe("OUT_OF_MEMORY");
    expect(result.evidence.map((e) => e.text)).toEqual([line]);
  });
});
