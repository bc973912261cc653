import { statusEvents } from "../../src/notify/status-events.js";

const id = "5d1e0a9c-0000-4000-8000-000000000001";
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s));

describe("statusEvents", () => {
  it("tells queued, running and the end from a finished deployment's timestamps", () => {
    const events = statusEvents({
      id,
      status: "failed",
      attempt: 1,
      queuedAt: at(0),
      startedAt: at(1),
      finishedAt: at(9),
    });
    expect(events.map((e) => [e.status, e.at, e.deliveryId])).toEqual([
      ["queued", at(0), `${id}.queued`],
      ["running", at(1), `${id}.running.1`],
      ["failed", at(9), `${id}.failed`],
    ]);
  });

  it("has no running event for a deploy cancelled or superseded before it started", () => {
    for (const status of ["cancelled", "superseded"] as const) {
      const events = statusEvents({
        id,
        status,
        attempt: 0,
        queuedAt: at(0),
        startedAt: null,
        finishedAt: at(2),
      });
      expect(events.map((e) => e.status)).toEqual(["queued", status]);
    }
  });

  it("gives each attempt's running its own delivery id, and no end while it runs", () => {
    const events = statusEvents({
      id,
      status: "running",
      attempt: 2,
      queuedAt: at(0),
      startedAt: at(30),
      finishedAt: null,
    });
    expect(events.map((e) => e.deliveryId)).toEqual([`${id}.queued`, `${id}.running.2`]);
  });
});
