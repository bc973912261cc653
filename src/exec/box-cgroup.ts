/**
 * One box's cgroup, made and removed by the launcher (root): memory (swap included), process
 * count and CPU weight of everything in the box. cgroup v2 where the host's unified hierarchy
 * has the memory, pids and cpu controllers; else the v1 hierarchies of each.
 *
 * Where: below the launcher's own group, in `coduck/<box>` (v1), so that a limit the host puts
 * on the worker or on supervisord still holds for the boxes it starts, and the box never
 * leaves a group it was put in. v2 forbids processes in a group whose children get
 * controllers, so there the groups go below the hierarchy's root, in `coduck/<box>`.
 *
 * CPU weight, v1: the shared parent `coduck` sits beside the worker's other processes, each of
 * which weighs one process, so its weight is kept at the sum of its boxes' own
 * (balanceCpuWeight, as each box comes and goes): each box weighs what its limits say against
 * the rest of the host, not a share of one group's default weight divided among all boxes.
 * v2: the parent sits at the root beside whole slices (under systemd, `system.slice` holds
 * Postgres, PgBouncer, Redis, Caddy and the worker as one group): there it keeps its default
 * weight, since a sum would let busy tenants' boxes outweigh the platform's own services.
 *
 * Imports only node: modules and resource-limits.ts (runs in the launcher).
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ResourceLimits } from "./resource-limits.js";

const CONTROLLERS = ["memory", "pids", "cpu"] as const;
type Controller = (typeof CONTROLLERS)[number];

/** The directory below the launcher's group (v1) or the root (v2) that holds the boxes' groups. */
const PARENT = "coduck";
/** A box's group name: the box directory's name (box-network.ts newBoxDir), nothing that could climb. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** How long the box's processes may take to be gone after bwrap ends (the kernel reaps the PID namespace). */
const REMOVE_WITHIN_MS = 3_000;
/** How long what was killed may take to leave the group. */
const KILLED_GONE_MS = 1_000;
const RETRY_MS = 50;
/**
 * An empty group older than this is a killed launcher's (a step's launcher dies with a worker
 * killed -9, before it can remove its group): a live box's group holds its bwrap from the
 * moment after it is made until its launcher removes it.
 */
const STALE_AFTER_MS = 60_000;

/** Where the box's cgroup lives: one directory (v2) or one per controller (v1). */
export type BoxCgroup =
  | { version: 2; dir: string }
  | { version: 1; dirs: Record<Controller, string> };

type Mount = { root: string; mountPoint: string; fsType: string; superOptions: string[] };

function mounts(): Mount[] {
  const found: Mount[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    // id parent major:minor root mount-point options [optional…] - fstype source super-options
    const [before, after] = line.split(" - ");
    if (!before || !after) continue;
    const fields = before.split(" ");
    const [fsType, , superOptions = ""] = after.split(" ");
    found.push({
      root: unescapeMount(fields[3] ?? ""),
      mountPoint: unescapeMount(fields[4] ?? ""),
      fsType: fsType ?? "",
      superOptions: superOptions.split(","),
    });
  }
  return found;
}

function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/** This process's group in each hierarchy: `memory` → `/a/b` (v1), `""` → the v2 group. */
function ownGroups(): Map<string, string> {
  const groups = new Map<string, string>();
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    for (const controller of match[1]!.split(",")) groups.set(controller, match[2]!);
  }
  return groups;
}

/** A group's directory: the mount point, plus the group's path below the mount's root. */
function groupDir(mount: Mount, group: string): string {
  const below = path.posix.relative(mount.root, group);
  if (below.startsWith("..") || path.isAbsolute(below)) return mount.mountPoint;
  return path.join(mount.mountPoint, below);
}

function controllersOf(dir: string): string[] {
  try {
    return readFileSync(path.join(dir, "cgroup.controllers"), "utf8").trim().split(/\s+/);
  } catch {
    return [];
  }
}

/**
 * Where boxes' groups go on this host, or why there is nowhere: the v2 hierarchy's root when
 * it has all three controllers, else each controller's v1 hierarchy.
 */
export function cgroupParent():
  | { version: 2; dir: string }
  | { version: 1; dirs: Record<Controller, string> }
  | { version: null; reason: string } {
  const all = mounts();
  const unified = all.find((m) => m.fsType === "cgroup2");
  if (unified) {
    const available = controllersOf(unified.mountPoint);
    if (CONTROLLERS.every((c) => available.includes(c)))
      return { version: 2, dir: path.join(unified.mountPoint, PARENT) };
  }
  const own = ownGroups();
  const dirs: Partial<Record<Controller, string>> = {};
  for (const controller of CONTROLLERS) {
    const mount = all.find((m) => m.fsType === "cgroup" && m.superOptions.includes(controller));
    if (!mount)
      return {
        version: null,
        reason: `no cgroup ${controller} controller (neither in a cgroup2 hierarchy nor mounted as cgroup v1)`,
      };
    dirs[controller] = path.join(groupDir(mount, own.get(controller) ?? "/"), PARENT);
  }
  return { version: 1, dirs: dirs as Record<Controller, string> };
}

function write(dir: string, file: string, value: string | number): void {
  writeFileSync(path.join(dir, file), String(value));
}

/** Writes a file the kernel may lack (swap accounting off): absent is fine, refused is not. */
function writeIfThere(dir: string, file: string, value: string | number): void {
  if (existsSync(path.join(dir, file))) write(dir, file, value);
}

/** The kernel's ranges for a group's CPU weight: v1's cpu.shares, v2's cpu.weight. */
const CPU_WEIGHT_FILE = {
  1: { file: "cpu.shares", min: 2, max: 262_144 },
  2: { file: "cpu.weight", min: 1, max: 10_000 },
} as const;
/** How many times a launcher writes the parent's weight again while boxes come and go. */
const BALANCE_ATTEMPTS = 5;

/** v1's cpu.shares as v2's cpu.weight: the defaults (1024, 100) correspond, as systemd has them. */
export function cpuWeight(shares: number): number {
  return Math.min(10_000, Math.max(1, Math.round((shares * 100) / 1024)));
}

/**
 * Makes the box's group `name` with `limits` set in it; empty until the box's first process
 * enters it (enterCommand). Throws saying what the host did not allow.
 */
export function createBoxCgroup(name: string, limits: ResourceLimits): BoxCgroup {
  if (!NAME.test(name)) throw new Error(`not a box's name: ${JSON.stringify(name)}`);
  const parent = cgroupParent();
  if (parent.version === null) throw new Error(parent.reason);
  for (const dir of parent.version === 2 ? [parent.dir] : Object.values(parent.dirs))
    removeStale(dir);
  // Another launcher removes the shared parent when its box was the last: make both again.
  for (let attempt = 1; ; attempt++) {
    try {
      const group =
        parent.version === 2 ? makeV2(parent.dir, name, limits) : makeV1(parent.dirs, name, limits);
      balanceCpuWeight(group);
      return group;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt === 3) throw error;
    }
  }
}

/** The directory holding the box's CPU weight, and which file and range that is. */
function cpuDirOf(group: BoxCgroup): { dir: string; version: 1 | 2 } {
  return group.version === 2 ? { dir: group.dir, version: 2 } : { dir: group.dirs.cpu, version: 1 };
}

/**
 * Sets the shared parent's CPU weight (v1 only: see the top of this file) to the sum of its
 * boxes' weights (within the kernel's range), so that N boxes together weigh N boxes against the rest of the host. Launchers make
 * and remove boxes concurrently: each writes the sum it read, then reads again and writes again
 * while that differs, so the last to write has written what it last saw. Only the launcher's
 * own, root-owned groups are read: nothing in a box can write a weight (it sees no cgroupfs).
 * A parent already gone (its last box removed) is nothing to balance.
 */
export function balanceCpuWeight(group: BoxCgroup): void {
  const { dir, version } = cpuDirOf(group);
  if (version === 2) return;
  const parent = path.dirname(dir);
  const { file, min, max } = CPU_WEIGHT_FILE[version];
  let written: number | null = null;
  for (let attempt = 0; attempt < BALANCE_ATTEMPTS; attempt++) {
    const sum = childrenWeight(parent, file);
    if (sum === null || sum === written) return;
    const weight = Math.min(max, Math.max(min, sum));
    try {
      write(parent, file, weight);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    written = sum;
  }
}

/** The sum of the CPU weights of the boxes' groups in `parent`; null when it has none (or is gone). */
function childrenWeight(parent: string, file: string): number | null {
  let names: string[];
  try {
    names = readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && NAME.test(entry.name))
      .map((entry) => entry.name);
  } catch {
    return null;
  }
  let sum = 0;
  for (const name of names) {
    try {
      sum += Number.parseInt(readFileSync(path.join(parent, name, file), "utf8"), 10) || 0;
    } catch {
      // Removed meanwhile: its launcher balances again after removing it.
    }
  }
  return sum > 0 ? sum : null;
}

function makeV1(
  parents: Record<Controller, string>,
  name: string,
  limits: ResourceLimits,
): BoxCgroup {
  const dirs = Object.fromEntries(
    CONTROLLERS.map((c) => [c, path.join(parents[c], name)]),
  ) as Record<Controller, string>;
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  // memsw (memory + swap) may not be below the memory limit: memory first.
  write(dirs.memory, "memory.limit_in_bytes", limits.memoryBytes);
  writeIfThere(dirs.memory, "memory.memsw.limit_in_bytes", limits.memoryBytes);
  write(dirs.pids, "pids.max", limits.pids);
  write(dirs.cpu, "cpu.shares", limits.cpuShares);
  return { version: 1, dirs };
}

function makeV2(parent: string, name: string, limits: ResourceLimits): BoxCgroup {
  const enable = CONTROLLERS.map((c) => `+${c}`).join(" ");
  write(path.dirname(parent), "cgroup.subtree_control", enable);
  mkdirSync(parent, { recursive: true });
  write(parent, "cgroup.subtree_control", enable);
  const dir = path.join(parent, name);
  mkdirSync(dir);
  write(dir, "memory.max", limits.memoryBytes);
  writeIfThere(dir, "memory.swap.max", 0);
  write(dir, "pids.max", limits.pids);
  write(dir, "cpu.weight", cpuWeight(limits.cpuShares));
  return { version: 2, dir };
}

function dirsOf(group: BoxCgroup): string[] {
  return group.version === 2 ? [group.dir] : [...new Set(Object.values(group.dirs))];
}

/**
 * A prefix for the box's command that enters the group before anything of the box runs: a
 * shell that writes its own pid into the group (each hierarchy's) and then execs the rest.
 * Everything the box starts is born inside; the launcher (a Node process that would count
 * against the box's memory, and be a candidate for its OOM killer) and slirp4netns are not.
 */
export function enterCommand(group: BoxCgroup): string[] {
  const script =
    'while [ "$1" != -- ]; do echo $$ > "$1" || { echo "box: cannot enter the cgroup $1" >&2; exit 125; }; shift; done; shift; exec "$@"';
  return [
    "/bin/sh",
    "-c",
    script,
    "box-cgroup",
    ...dirsOf(group).map((dir) => path.join(dir, "cgroup.procs")),
    "--",
  ];
}

/** How many of the box's processes the kernel killed for memory (0 if it cannot tell). */
export function memoryKills(group: BoxCgroup): number {
  const [dir, file] =
    group.version === 2 ? [group.dir, "memory.events"] : [group.dirs.memory, "memory.oom_control"];
  try {
    const match = /^oom_kill (\d+)$/m.exec(readFileSync(path.join(dir, file), "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Removes the box's group once its processes are gone: bwrap has ended, and the kernel ends
 * the rest of its PID namespace; what is still there after a while is killed. Then the shared
 * parent, if no other box uses it. Resolves with what could not be removed.
 */
export async function removeBoxCgroup(group: BoxCgroup): Promise<string[]> {
  let deadline = Date.now() + REMOVE_WITHIN_MS;
  const left: string[] = [];
  for (const dir of dirsOf(group)) {
    for (let killed = false; ; ) {
      try {
        rmdirSync(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") break;
        if (code !== "EBUSY") throw error;
      }
      if (Date.now() > deadline) {
        if (killed) {
          left.push(dir);
          break;
        }
        killMembers(dir);
        killed = true;
        deadline = Date.now() + KILLED_GONE_MS;
      }
      await sleep(RETRY_MS);
    }
    try {
      rmdirSync(path.dirname(dir));
    } catch {
      // Another box's group is in it (or it is already gone): that box's launcher removes it.
    }
  }
  // The parent weighs one box less (or is gone with the last one).
  try {
    balanceCpuWeight(group);
  } catch (error) {
    left.push(`${path.dirname(cpuDirOf(group).dir)} (cpu weight: ${(error as Error).message})`);
  }
  return left;
}

/** Removes the empty groups in `parent` that no launcher will remove (STALE_AFTER_MS). */
function removeStale(parent: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && NAME.test(entry.name))
      .map((entry) => entry.name);
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(parent, name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < STALE_AFTER_MS) continue;
      if (readFileSync(path.join(dir, "cgroup.procs"), "utf8").trim() !== "") continue;
      rmdirSync(dir);
    } catch {
      // In use again, or removed by another launcher meanwhile.
    }
  }
}

/** SIGKILLs what is left in a group whose box has ended: nothing of it may outlive the box. */
function killMembers(dir: string): void {
  let pids: string[] = [];
  try {
    pids = readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
}
