import { type DeploymentPickup, pickupPlace } from "../../src/store/deployment-host.js";
import { MOVE_TRIGGER } from "../../src/store/project-moves.js";

// Where a worker of h1 runs a deployment it picked up: the decision the pipeline's first read
// feeds (run-deployment.ts), for the push during a move and the project that left the host.
const base: DeploymentPickup = {
  status: "queued",
  projectId: "7d1c1f9e-3a52-4c1e-9d40-3b1f4b3f0c11",
  project: "shop",
  trigger: "webhook",
  hostId: "h1",
  projectHostId: "h1",
  movingTo: null,
  sourceFrozen: false,
};

describe("pickupPlace", () => {
  it("runs here a deployment of this host whose project lives here, and one from before hosts", () => {
    expect(pickupPlace(base, "h1")).toEqual({ kind: "here" });
    expect(pickupPlace({ ...base, hostId: null, projectHostId: null }, "h1")).toEqual({
      kind: "here",
    });
    expect(pickupPlace({ ...base, hostId: null, projectHostId: "h2" }, "h1")).toEqual({
      kind: "here",
    });
  });

  it("refuses one recorded for another host, whatever its project does", () => {
    expect(pickupPlace({ ...base, hostId: "h2" }, "h1")).toEqual({
      kind: "wrong-host",
      hostId: "h2",
    });
    expect(pickupPlace({ ...base, hostId: "h2", movingTo: "h1" }, "h1")).toEqual({
      kind: "wrong-host",
      hostId: "h2",
    });
  });

  it("holds a push while its project's move runs, before and after the switch", () => {
    expect(pickupPlace({ ...base, movingTo: "h2" }, "h1")).toEqual({
      kind: "move-running",
      project: "shop",
      to: "h2",
    });
    // Switched already (the project lives on h2), the move still at its routes stage.
    expect(pickupPlace({ ...base, projectHostId: "h2", movingTo: "h2" }, "h1")).toEqual({
      kind: "move-running",
      project: "shop",
      to: "h2",
    });
    // A push recorded on the target after the switch waits there too.
    expect(
      pickupPlace({ ...base, hostId: "h2", projectHostId: "h2", movingTo: "h2" }, "h2"),
    ).toEqual({ kind: "move-running", project: "shop", to: "h2" });
  });

  it("holds a push after a failed move until its source, where the project stays, is writable", () => {
    expect(pickupPlace({ ...base, sourceFrozen: true }, "h1")).toEqual({
      kind: "source-frozen",
      project: "shop",
    });
    // Recorded for another host: refused all the same; a later move running: waits for that one.
    expect(pickupPlace({ ...base, hostId: "h2", sourceFrozen: true }, "h1")).toEqual({
      kind: "wrong-host",
      hostId: "h2",
    });
    expect(pickupPlace({ ...base, movingTo: "h2", sourceFrozen: true }, "h1")).toEqual({
      kind: "move-running",
      project: "shop",
      to: "h2",
    });
    // A move's own deployment never waits (the read's flag is the latest move's, not its own).
    expect(pickupPlace({ ...base, trigger: MOVE_TRIGGER, sourceFrozen: true }, "h1")).toEqual({
      kind: "here",
    });
  });

  it("never holds nor forwards the move's own deployment (its start step is the switch)", () => {
    const own = { ...base, trigger: MOVE_TRIGGER, hostId: "h2", projectHostId: "h1" };
    expect(pickupPlace(own, "h2")).toEqual({ kind: "here" });
    expect(pickupPlace({ ...own, movingTo: "h2" }, "h2")).toEqual({ kind: "here" });
  });

  it("forwards a queued deployment to the host its project lives on now, once no move runs", () => {
    expect(pickupPlace({ ...base, projectHostId: "h2" }, "h1")).toEqual({
      kind: "moved-away",
      from: "h1",
      to: "h2",
    });
    // A failed move left the project here: it runs where it is.
    expect(pickupPlace({ ...base, projectHostId: "h1" }, "h1")).toEqual({ kind: "here" });
    // Taken over from a dead attempt (running): not forwarded, its record is this host's.
    expect(pickupPlace({ ...base, status: "running", projectHostId: "h2" }, "h1")).toEqual({
      kind: "here",
    });
  });
});
