import { chooseMoveTarget, type HostView, whyNoMoveTarget } from "../../src/store/hosts.js";

// Where `hosts drain H --move` sends each project: chosen again for each one, with the moves
// already on their way counted, so a drained host's projects spread over the others by load,
// and no host takes more than HOST_MAX_PROJECTS.

function host(id: string, projects: number, maxProjects: number, state: HostView["state"] = "up") {
  return {
    id,
    address: "10.0.0.1:8080",
    state,
    intent: state === "draining" ? "draining" : "up",
    heartbeatAt: state === "down" ? null : new Date(),
    downSince: null,
    startedAt: new Date(),
    maxProjects,
    projects,
    diskFreeBytes: null,
    memoryAvailableBytes: null,
  } satisfies HostView;
}

it("spreads a drained host's projects by load, counting moves on their way, never over capacity", () => {
  const hosts = [host("a", 6, 10), host("b", 1, 4), host("c", 0, 2), host("h", 5, 10, "draining")];
  const incoming = new Map<string, number>();
  const chosen: string[] = [];
  for (let i = 0; i < 8; i++) {
    const target = chooseMoveTarget(hosts, "h", incoming);
    if (!target) break;
    chosen.push(target.id);
    incoming.set(target.id, (incoming.get(target.id) ?? 0) + 1);
  }
  // The lowest share of capacity in use, ties by id: c 0/2, b 1/4, b 2/4 (ties c 1/2), c 1/2,
  // a 6/10, a 7/10 (under b 3/4), b 3/4, a 8/10; then every host is full but a (9/10).
  expect(chosen).toEqual(["c", "b", "b", "c", "a", "a", "b", "a"]);
  for (const h of hosts)
    expect(h.projects + (incoming.get(h.id) ?? 0)).toBeLessThanOrEqual(h.maxProjects);
});

it("never picks the drained host, a draining or a down one, or a full one; says why", () => {
  const hosts = [
    host("h", 0, 10),
    host("d", 0, 10, "draining"),
    host("x", 0, 10, "down"),
    host("f", 3, 3),
  ];
  expect(chooseMoveTarget(hosts, "h", new Map())).toBeNull();
  expect(whyNoMoveTarget(hosts, "h", new Map())).toBe(
    "no other host is up with room: d draining; x down (its worker never started); f full (3/3 projects, moves on their way included)",
  );
  expect(whyNoMoveTarget([host("h", 0, 10)], "h", new Map())).toBe(
    "no other host is registered than h",
  );
  // A move on its way fills the last place.
  expect(chooseMoveTarget([host("g", 2, 3)], "h", new Map([["g", 1]]))).toBeNull();
});
