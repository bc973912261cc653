import { FAILURE_CODES } from "../../src/failures/codes.js";
import { notificationBody } from "../../src/notify/notification-body.js";
import { statusEvents } from "../../src/notify/status-events.js";

const id = "5d1e0a9c-0000-4000-8000-000000000002";
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s));

const deployment = {
  id,
  status: "succeeded" as const,
  attempt: 1,
  trigger: "cli",
  ref: "main",
  commitSha: "abc",
  errorCode: null,
  hint: null,
  queuedAt: at(0),
  startedAt: at(1),
  finishedAt: at(9),
};

describe("a crashed live release's notification", () => {
  it("is an event of its own, after the deploy's, with its own delivery id", () => {
    const events = statusEvents({ ...deployment, releaseCrashedAt: at(50) });
    expect(events.map((e) => [e.status, e.at, e.deliveryId])).toEqual([
      ["queued", at(0), `${id}.queued`],
      ["running", at(1), `${id}.running.1`],
      ["succeeded", at(9), `${id}.succeeded`],
      ["crashed", at(50), `${id}.crashed`],
    ]);
    expect(statusEvents(deployment).map((e) => e.status)).not.toContain("crashed");
  });

  it("carries the crash's cause and its hint, while the deploy's own end carries none", () => {
    const row = { ...deployment, releaseCrashedAt: at(50), degradedCode: "OUT_OF_MEMORY" };
    const [, , succeeded, crashed] = statusEvents(row);
    expect(notificationBody("p", row, crashed!).deployment).toMatchObject({
      status: "crashed",
      errorCode: "OUT_OF_MEMORY",
      hint: FAILURE_CODES.OUT_OF_MEMORY.hint,
    });
    expect(notificationBody("p", row, succeeded!).deployment).toMatchObject({
      status: "succeeded",
      errorCode: null,
      hint: null,
    });
  });
});
